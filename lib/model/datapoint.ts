/**
 * The in-process datapoint model: the contract between sources, transforms and sinks,
 * and later the Avro schema, Kafka transport and ClickHouse tables.
 */

import type { Dimensions, MetadataUpdate, TaskEvent } from './dimensions.js';

export type MetricKind = 'counter' | 'gauge' | 'timer' | 'set';

/** A DDSketch snapshot (logarithmic mapping) so percentiles can be merged downstream. */
export interface SketchSnapshot {
  /** Relative accuracy alpha: every quantile is within alpha * |value| of the true one. */
  relativeAccuracy: number;
  /** Bin index offset: bins[i] counts values v with index(v) = offset + i. */
  positiveOffset: number;
  positiveBins: number[];
  negativeOffset: number;
  negativeBins: number[];
  /** Weight of values too close to zero to index. */
  zeroCount: number;
}

export interface TimerSummary {
  /** Sample-rate weighted number of samples. */
  count: number;
  /** Sample-rate weighted sum. */
  sum: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation, sample-rate weighted. */
  stddev: number;
  /** Nearest-rank percentiles keyed by the configured percentile ("50", "99.9"). */
  percentiles: Record<string, number>;
  /** True when the series outgrew the exact sample cap and percentiles come from the sketch. */
  approximate: boolean;
  /** Present when percentiles came from the sketch, so they can be merged downstream. */
  sketch?: SketchSnapshot;
}

export interface Datapoint {
  name: string;
  kind: MetricKind;
  /** counter: sum over the interval; gauge: current value; timer: mean; set: distinct members. */
  value: number;
  /** Unit as known at the source: "ms" for ms timers, "" when the protocol does not say. */
  unit: string;
  /** Milliseconds since the epoch: the interval's end, or the sample's own timestamp. */
  timeMs: number;
  /** Read-only once emitted: datapoints of one container may share the same object. */
  tags: Record<string, string>;
  /** The container the datapoint belongs to, when known. */
  containerId?: string;
  /** Counters only: value per second over the interval. */
  rate?: number;
  /** Timers only. */
  timer?: TimerSummary;
  /**
   * Who the datapoint belongs to (node, framework, task, container, labels), attached by the
   * dimensions transform. One shared, frozen object per container: never modified.
   */
  dimensions?: Readonly<Dimensions>;
}

/** Where transforms hand batches of datapoints. */
export interface DatapointSink {
  write(batch: readonly Datapoint[]): void | Promise<void>;
  /** Task lifecycle events; a sink without it drops them. */
  writeEvents?(events: readonly TaskEvent[]): void | Promise<void>;
  /** Containers whose dimensions changed or that went away; a sink without it drops them. */
  writeMetadata?(updates: readonly MetadataUpdate[]): void | Promise<void>;
  close(): Promise<void>;
}
