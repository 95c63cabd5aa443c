/**
 * The Avro records as avsc reads and writes them (schemas/avro/v1): snake_case fields as in
 * the schemas, null for an absent optional. test/wire/records.test.ts fails when these and
 * the current schemas disagree on a field.
 */
import type { MetricKind } from '../model/datapoint.js';
import type { TaskStateName } from '../model/dimensions.js';

export interface DimensionsRecord {
  cluster_id: string | null;
  agent_id: string | null;
  hostname: string | null;
  framework_id: string | null;
  framework_name: string | null;
  framework_role: string | null;
  executor_id: string | null;
  task_id: string | null;
  task_name: string | null;
  container_id: string | null;
  labels: Record<string, string> | null;
}

export interface SketchSnapshotRecord {
  relative_accuracy: number;
  positive_offset: number;
  positive_bins: number[];
  negative_offset: number;
  negative_bins: number[];
  zero_count: number;
}

export interface TimerSummaryRecord {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  percentiles: Record<string, number>;
  approximate: boolean;
  sketch: SketchSnapshotRecord | null;
}

export interface DatapointRecord {
  name: string;
  kind: MetricKind;
  value: number;
  unit: string;
  time_ms: number;
  tags: Record<string, string>;
  container_id: string | null;
  rate: number | null;
  timer: TimerSummaryRecord | null;
}

export interface MetricBatchRecord {
  agent_id: string;
  hostname: string;
  sent_ms: number;
  batch_id: string;
  dimensions: DimensionsRecord | null;
  datapoints: DatapointRecord[];
}

export interface TaskEventRecord {
  time_ms: number;
  state: TaskStateName;
  previous_state: TaskStateName | null;
  reason: string | null;
  exit_code: number | null;
  dimensions: DimensionsRecord;
}

export interface MetadataUpdateRecord {
  container_id: string;
  dimensions: DimensionsRecord;
  updated_ms: number;
  removed: boolean;
}

/** Each message's record type, by schema name. */
export interface WireRecords {
  MetricBatch: MetricBatchRecord;
  TaskEvent: TaskEventRecord;
  MetadataUpdate: MetadataUpdateRecord;
}
