/**
 * The in-process model (lib/model) ↔ the Avro records (records.ts).
 *
 * Lossless both ways, field for field. An absent optional (undefined) is null on the wire and
 * absent again after decoding; the one renamed value is TaskEvent.previousState, whose ""
 * ("first seen") is null on the wire because an Avro enum symbol cannot be empty. Maps (tags,
 * labels, percentiles) keep their keys exactly as given ("99.9" stays "99.9").
 */
import type { Datapoint, SketchSnapshot, TimerSummary } from '../model/datapoint.js';
import { DIMENSION_KEYS, type Dimensions, type MetadataUpdate, type TaskEvent } from '../model/dimensions.js';
import type {
  DatapointRecord,
  DimensionsRecord,
  MetadataUpdateRecord,
  MetricBatchRecord,
  SketchSnapshotRecord,
  TaskEventRecord,
  TimerSummaryRecord,
} from './records.js';

export type { MetadataUpdate };

/**
 * Datapoints that share one dimensions object, and who sent them. The agent sends one batch
 * per container (and one for the node's own datapoints): see groupByDimensions.
 */
export interface MetricBatch {
  /** The sending agent (MetricBatch.agent_id in the schema). */
  agentId: string;
  hostname: string;
  sentMs: number;
  /** Unique among the sender's batches, kept on re-sends: the collector's dedup key. */
  batchId: string;
  /** Every datapoint's dimensions: the same object, or all absent. */
  dimensions?: Readonly<Dimensions>;
  datapoints: readonly Datapoint[];
}

export interface DatapointGroup {
  dimensions: Readonly<Dimensions> | undefined;
  datapoints: Datapoint[];
}

/**
 * Splits datapoints by their dimensions object, keeping order within each group: one group
 * per container and one for the node. Dimensions are shared per container (lib/model), so
 * grouping by identity costs a map lookup per datapoint.
 */
export function groupByDimensions(points: readonly Datapoint[]): DatapointGroup[] {
  const groups = new Map<Readonly<Dimensions> | undefined, DatapointGroup>();
  for (const point of points) {
    let group = groups.get(point.dimensions);
    if (group === undefined) {
      group = { dimensions: point.dimensions, datapoints: [] };
      groups.set(point.dimensions, group);
    }
    group.datapoints.push(point);
  }
  return [...groups.values()];
}

export function dimensionsToRecord(dimensions: Readonly<Dimensions>): DimensionsRecord {
  return {
    cluster_id: dimensions.cluster_id ?? null,
    agent_id: dimensions.agent_id ?? null,
    hostname: dimensions.hostname ?? null,
    framework_id: dimensions.framework_id ?? null,
    framework_name: dimensions.framework_name ?? null,
    framework_role: dimensions.framework_role ?? null,
    executor_id: dimensions.executor_id ?? null,
    task_id: dimensions.task_id ?? null,
    task_name: dimensions.task_name ?? null,
    container_id: dimensions.container_id ?? null,
    labels: dimensions.labels ?? null,
  };
}

/** Frozen, like the agent's own dimensions objects, since a batch's datapoints share it. */
export function dimensionsFromRecord(record: DimensionsRecord): Readonly<Dimensions> {
  const dimensions: Dimensions = {};
  for (const key of DIMENSION_KEYS) {
    const value = record[key];
    if (value !== null) dimensions[key] = value;
  }
  if (record.labels !== null) dimensions.labels = Object.freeze(record.labels);
  return Object.freeze(dimensions);
}

function sameDimensions(a: Readonly<Dimensions> | undefined, b: Readonly<Dimensions> | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (DIMENSION_KEYS.some((key) => a[key] !== b[key])) return false;
  const labelsA = a.labels;
  const labelsB = b.labels;
  if (labelsA === labelsB) return true;
  if (labelsA === undefined || labelsB === undefined) return false;
  const keys = Object.keys(labelsA);
  return keys.length === Object.keys(labelsB).length && keys.every((key) => labelsA[key] === labelsB[key]);
}

/**
 * A batch carries one dimensions record for all its datapoints, so sending a datapoint with
 * other dimensions would relabel it. Equal copies pass: only identity is the fast path.
 */
export function assertSameDimensions(
  point: Datapoint,
  index: number,
  batch: Readonly<Dimensions> | undefined,
): void {
  if (!sameDimensions(point.dimensions, batch)) {
    throw new Error(
      `datapoint ${index} (${point.name}) has other dimensions than its batch: use groupByDimensions`,
    );
  }
}

function sketchToRecord(sketch: SketchSnapshot): SketchSnapshotRecord {
  return {
    relative_accuracy: sketch.relativeAccuracy,
    positive_offset: sketch.positiveOffset,
    positive_bins: sketch.positiveBins,
    negative_offset: sketch.negativeOffset,
    negative_bins: sketch.negativeBins,
    zero_count: sketch.zeroCount,
  };
}

function sketchFromRecord(record: SketchSnapshotRecord): SketchSnapshot {
  return {
    relativeAccuracy: record.relative_accuracy,
    positiveOffset: record.positive_offset,
    positiveBins: record.positive_bins,
    negativeOffset: record.negative_offset,
    negativeBins: record.negative_bins,
    zeroCount: record.zero_count,
  };
}

function timerToRecord(timer: TimerSummary): TimerSummaryRecord {
  return {
    count: timer.count,
    sum: timer.sum,
    min: timer.min,
    max: timer.max,
    mean: timer.mean,
    stddev: timer.stddev,
    percentiles: timer.percentiles,
    approximate: timer.approximate,
    sketch: timer.sketch === undefined ? null : sketchToRecord(timer.sketch),
  };
}

function timerFromRecord(record: TimerSummaryRecord): TimerSummary {
  const timer: TimerSummary = {
    count: record.count,
    sum: record.sum,
    min: record.min,
    max: record.max,
    mean: record.mean,
    stddev: record.stddev,
    percentiles: record.percentiles,
    approximate: record.approximate,
  };
  if (record.sketch !== null) timer.sketch = sketchFromRecord(record.sketch);
  return timer;
}

/**
 * One datapoint's record; tags and percentiles are referenced, not copied. A container id equal
 * to `batchContainer` (the batch's dimensions' container_id) is left out: the batch says it.
 */
export function datapointToRecord(point: Datapoint, batchContainer?: string): DatapointRecord {
  return {
    name: point.name,
    kind: point.kind,
    value: point.value,
    unit: point.unit,
    time_ms: point.timeMs,
    tags: point.tags,
    container_id: point.containerId === batchContainer ? null : (point.containerId ?? null),
    rate: point.rate ?? null,
    timer: point.timer === undefined ? null : timerToRecord(point.timer),
  };
}

export function datapointFromRecord(record: DatapointRecord, dimensions?: Readonly<Dimensions>): Datapoint {
  const point: Datapoint = {
    name: record.name,
    kind: record.kind,
    value: record.value,
    unit: record.unit,
    timeMs: record.time_ms,
    tags: record.tags,
  };
  if (record.container_id !== null) point.containerId = record.container_id;
  else if (dimensions?.container_id !== undefined) point.containerId = dimensions.container_id;
  if (record.rate !== null) point.rate = record.rate;
  if (record.timer !== null) point.timer = timerFromRecord(record.timer);
  if (dimensions !== undefined) point.dimensions = dimensions;
  return point;
}

/** The batch's record. Throws when a datapoint's dimensions differ from the batch's. */
export function metricBatchToRecord(batch: MetricBatch): MetricBatchRecord {
  const shared = batch.dimensions;
  const points = batch.datapoints;
  const datapoints = new Array<DatapointRecord>(points.length);
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    if (point.dimensions !== shared) assertSameDimensions(point, i, shared);
    datapoints[i] = datapointToRecord(point, shared?.container_id);
  }
  return {
    agent_id: batch.agentId,
    hostname: batch.hostname,
    sent_ms: batch.sentMs,
    batch_id: batch.batchId,
    dimensions: shared === undefined ? null : dimensionsToRecord(shared),
    datapoints,
  };
}

/** The batch; its datapoints share one frozen dimensions object, as the agent's did. */
export function metricBatchFromRecord(record: MetricBatchRecord): MetricBatch & { datapoints: Datapoint[] } {
  const dimensions = record.dimensions === null ? undefined : dimensionsFromRecord(record.dimensions);
  const records = record.datapoints;
  const datapoints = new Array<Datapoint>(records.length);
  for (let i = 0; i < records.length; i++) datapoints[i] = datapointFromRecord(records[i]!, dimensions);
  const batch: MetricBatch & { datapoints: Datapoint[] } = {
    agentId: record.agent_id,
    hostname: record.hostname,
    sentMs: record.sent_ms,
    batchId: record.batch_id,
    datapoints,
  };
  if (dimensions !== undefined) batch.dimensions = dimensions;
  return batch;
}

export function taskEventToRecord(event: TaskEvent): TaskEventRecord {
  return {
    time_ms: event.timeMs,
    state: event.state,
    previous_state: event.previousState === '' ? null : event.previousState,
    reason: event.reason ?? null,
    exit_code: event.exitCode ?? null,
    dimensions: dimensionsToRecord(event.dimensions),
  };
}

export function taskEventFromRecord(record: TaskEventRecord): TaskEvent {
  const event: TaskEvent = {
    timeMs: record.time_ms,
    state: record.state,
    previousState: record.previous_state ?? '',
    dimensions: dimensionsFromRecord(record.dimensions),
  };
  if (record.reason !== null) event.reason = record.reason;
  if (record.exit_code !== null) event.exitCode = record.exit_code;
  return event;
}

export function metadataUpdateToRecord(update: MetadataUpdate): MetadataUpdateRecord {
  return {
    container_id: update.containerId,
    dimensions: dimensionsToRecord(update.dimensions),
    updated_ms: update.updatedMs,
    removed: update.removed,
  };
}

export function metadataUpdateFromRecord(record: MetadataUpdateRecord): MetadataUpdate {
  return {
    containerId: record.container_id,
    dimensions: dimensionsFromRecord(record.dimensions),
    updatedMs: record.updated_ms,
    removed: record.removed,
  };
}
