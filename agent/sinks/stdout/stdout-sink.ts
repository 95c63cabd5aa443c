import type { Writable } from 'node:stream';
import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';
import type { MetadataUpdate, TaskEvent } from '../../../lib/model/dimensions.js';

/** The documented line format: snake_case keys, one JSON object per series per flush. */
export function formatDatapoint(point: Datapoint): string {
  const out: Record<string, unknown> = {
    name: point.name,
    kind: point.kind,
    time_ms: point.timeMs,
    tags: point.tags,
    value: point.value,
  };
  if (point.unit !== '') out.unit = point.unit;
  if (point.containerId !== undefined) out.container_id = point.containerId;
  if (point.rate !== undefined) out.rate = point.rate;
  if (point.dimensions !== undefined) out.dimensions = point.dimensions;
  const timer = point.timer;
  if (timer !== undefined) {
    out.count = timer.count;
    out.sum = timer.sum;
    out.min = timer.min;
    out.max = timer.max;
    out.mean = timer.mean;
    out.stddev = timer.stddev;
    out.percentiles = timer.percentiles;
    if (timer.approximate) out.approximate = true;
  }
  return JSON.stringify(out);
}

/** A task lifecycle event line; "event" tells it apart from datapoint lines. */
export function formatTaskEvent(event: TaskEvent): string {
  const out: Record<string, unknown> = {
    event: 'task_state',
    time_ms: event.timeMs,
    state: event.state,
    previous_state: event.previousState,
  };
  if (event.reason !== undefined) out.reason = event.reason;
  if (event.exitCode !== undefined) out.exit_code = event.exitCode;
  out.dimensions = event.dimensions;
  return JSON.stringify(out);
}

/** A container metadata line: its dimensions changed, or it went away (removed). */
export function formatMetadataUpdate(update: MetadataUpdate): string {
  return JSON.stringify({
    event: 'container_metadata',
    time_ms: update.updatedMs,
    container_id: update.containerId,
    removed: update.removed,
    dimensions: update.dimensions,
  });
}

/** Lines per write: large enough to amortize the syscall, small enough to bound one string. */
const LINES_PER_WRITE = 4096;

/** Prints datapoints as JSON lines, in order, honouring the stream's backpressure. */
export class StdoutSink implements DatapointSink {
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly stream: Writable = process.stdout) {}

  write(batch: readonly Datapoint[]): Promise<void> {
    this.pending = this.pending.then(() => this.writeLines(batch, formatDatapoint));
    return this.pending;
  }

  writeEvents(events: readonly TaskEvent[]): Promise<void> {
    this.pending = this.pending.then(() => this.writeLines(events, formatTaskEvent));
    return this.pending;
  }

  writeMetadata(updates: readonly MetadataUpdate[]): Promise<void> {
    this.pending = this.pending.then(() => this.writeLines(updates, formatMetadataUpdate));
    return this.pending;
  }

  private async writeLines<T>(items: readonly T[], format: (item: T) => string): Promise<void> {
    for (let start = 0; start < items.length; start += LINES_PER_WRITE) {
      let text = '';
      const end = Math.min(items.length, start + LINES_PER_WRITE);
      for (let i = start; i < end; i++) text += `${format(items[i]!)}\n`;
      if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  close(): Promise<void> {
    return this.pending;
  }
}
