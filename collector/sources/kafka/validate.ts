/**
 * What Avro cannot say about a decoded message: numbers that are finite, times ClickHouse can
 * store, names that are there. A message failing any check is poison ('invalid_value') as a
 * whole, so a half-stored batch never has to be explained.
 */
import type { Datapoint, SketchSnapshot, TimerSummary } from '../../../lib/model/datapoint.js';
import type { CollectorRecord } from '../../model.js';

/** DateTime64(3) holds 1900..2299; anything before the epoch or after 2100 is a broken clock. */
const MAX_TIME_MS = Date.UTC(2100, 0, 1);

function badTime(ms: number): boolean {
  return !Number.isSafeInteger(ms) || ms < 0 || ms >= MAX_TIME_MS;
}

function badPercentiles(percentiles: Record<string, number>): string | undefined {
  for (const [key, value] of Object.entries(percentiles)) {
    const rank = Number(key);
    if (key === '' || !(rank > 0 && rank <= 100)) return `percentile key ${JSON.stringify(key)}`;
    if (!Number.isFinite(value)) return `percentile ${key} is ${value}`;
  }
  return undefined;
}

function badSketch(sketch: SketchSnapshot): string | undefined {
  if (!(sketch.relativeAccuracy > 0 && sketch.relativeAccuracy < 1)) return 'sketch relative accuracy';
  if (!Number.isSafeInteger(sketch.positiveOffset) || !Number.isSafeInteger(sketch.negativeOffset))
    return 'sketch offset';
  for (const bin of [...sketch.positiveBins, ...sketch.negativeBins, sketch.zeroCount]) {
    if (!Number.isFinite(bin) || bin < 0) return `sketch bin ${bin}`;
  }
  return undefined;
}

function badTimer(timer: TimerSummary): string | undefined {
  if (!Number.isFinite(timer.count) || timer.count < 0) return `timer count ${timer.count}`;
  for (const field of ['sum', 'min', 'max', 'mean', 'stddev'] as const) {
    if (!Number.isFinite(timer[field])) return `timer ${field} is ${timer[field]}`;
  }
  return (
    badPercentiles(timer.percentiles) ?? (timer.sketch === undefined ? undefined : badSketch(timer.sketch))
  );
}

function badDatapoint(point: Datapoint): string | undefined {
  if (point.name === '') return 'empty name';
  if (!Number.isFinite(point.value)) return `value is ${point.value}`;
  if (badTime(point.timeMs)) return `time_ms ${point.timeMs}`;
  if (point.rate !== undefined && !Number.isFinite(point.rate)) return `rate is ${point.rate}`;
  if (point.kind === 'timer' && point.timer === undefined) return 'timer without summary';
  return point.timer === undefined ? undefined : badTimer(point.timer);
}

/** Why the record cannot be stored, or undefined when it can. */
export function invalidValue(record: CollectorRecord): string | undefined {
  switch (record.type) {
    case 'metrics': {
      if (record.agentId === '') return 'empty agent_id';
      if (record.batchId === '') return 'empty batch_id';
      for (let i = 0; i < record.datapoints.length; i++) {
        const point = record.datapoints[i]!;
        const problem = badDatapoint(point);
        if (problem !== undefined) return `datapoint ${i} (${point.name}): ${problem}`;
      }
      return undefined;
    }
    case 'task_event':
      return badTime(record.event.timeMs) ? `time_ms ${record.event.timeMs}` : undefined;
    case 'metadata':
      if (record.update.containerId === '') return 'empty container_id';
      return badTime(record.update.updatedMs) ? `updated_ms ${record.update.updatedMs}` : undefined;
    case 'metadata_tombstone':
      return record.containerId === '' ? 'tombstone without a key' : undefined;
  }
}
