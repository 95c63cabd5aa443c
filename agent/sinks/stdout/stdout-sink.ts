import type { Writable } from 'node:stream';
import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';

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

/** Lines per write: large enough to amortize the syscall, small enough to bound one string. */
const LINES_PER_WRITE = 4096;

/** Prints datapoints as JSON lines, in order, honouring the stream's backpressure. */
export class StdoutSink implements DatapointSink {
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly stream: Writable = process.stdout) {}

  write(batch: readonly Datapoint[]): Promise<void> {
    this.pending = this.pending.then(() => this.writeBatch(batch));
    return this.pending;
  }

  private async writeBatch(batch: readonly Datapoint[]): Promise<void> {
    for (let start = 0; start < batch.length; start += LINES_PER_WRITE) {
      let text = '';
      const end = Math.min(batch.length, start + LINES_PER_WRITE);
      for (let i = start; i < end; i++) text += `${formatDatapoint(batch[i]!)}\n`;
      if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  close(): Promise<void> {
    return this.pending;
  }
}
