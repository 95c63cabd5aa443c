import type { Datapoint, MetricKind, TimerSummary } from '../../../lib/model/datapoint.js';
import type { PercentileRecordMaker } from '../../../lib/model/percentile-record.js';
import type { StatsdLine } from '../../sources/statsd/line-parser.js';
import { DDSketch } from './ddsketch.js';
import { HyperLogLog } from './hyperloglog.js';
import { hashMemberBytes } from './member-hash.js';
import { MemberSet } from './member-set.js';
import { nearestRank } from './nearest-rank.js';

export const SeriesState = { Live: 1, Dead: 2 } as const;
export type SeriesStateCode = (typeof SeriesState)[keyof typeof SeriesState];

/** What every series needs to know at flush. */
export interface FlushContext {
  /** Generation (interval number) being flushed. */
  generation: number;
  timeMs: number;
  intervalSeconds: number;
  percentiles: readonly number[];
  /** Builds a timer's percentile record from its values, in the order of percentiles. */
  percentileRecord: PercentileRecordMaker;
  out: Datapoint[];
}

/** Settings the series states need; fixed for the aggregator's life. */
export interface SeriesLimits {
  timerSampleCap: number;
  setExactCap: number;
  sketchRelativeAccuracy: number;
}

/** One series: a name, its tags and its container, plus the per-kind state below. */
export abstract class Series {
  state: SeriesStateCode = SeriesState.Live;
  /** Generation of the last sample. */
  lastSeen = -1;

  constructor(
    readonly name: string,
    /**
     * The tags as datapoints carry them: frozen, and shared with the other series of the tag
     * set (SharedIdentities) and with every datapoint of the series.
     */
    readonly tags: Readonly<Record<string, string>>,
    readonly containerId: string,
  ) {}

  abstract get kind(): MetricKind;
  abstract add(line: StatsdLine, limits: SeriesLimits): void;
  /** Appends this interval's datapoint (if any) to ctx.out and starts a new interval. */
  abstract flush(ctx: FlushContext, keepGauge: boolean): void;

  protected datapoint(ctx: FlushContext, value: number, unit: string): Datapoint {
    // Every field in the literal, absent ones undefined: fields added later would go to an
    // extra property array, ~40 bytes on each of a flush's datapoints (the latest store keeps them).
    return {
      name: this.name,
      kind: this.kind,
      value,
      unit,
      timeMs: ctx.timeMs,
      tags: this.tags as Record<string, string>,
      containerId: this.containerId === '' ? undefined : this.containerId,
      rate: undefined,
      timer: undefined,
    };
  }
}

export class CounterSeries extends Series {
  get kind(): MetricKind {
    return 'counter';
  }
  sum = 0;

  add(line: StatsdLine): void {
    const scale = 1 / line.sampleRate;
    for (let i = 0; i < line.valueCount; i++) this.sum += line.values[i]! * scale;
  }

  flush(ctx: FlushContext): void {
    if (this.lastSeen < ctx.generation) return;
    const point = this.datapoint(ctx, this.sum, '');
    point.rate = this.sum / ctx.intervalSeconds;
    ctx.out.push(point);
    this.sum = 0;
  }
}

export class GaugeSeries extends Series {
  get kind(): MetricKind {
    return 'gauge';
  }
  value = 0;

  add(line: StatsdLine): void {
    for (let i = 0; i < line.valueCount; i++) {
      this.value = line.deltas[i] ? this.value + line.values[i]! : line.values[i]!;
    }
  }

  /** Gauges report their last value every interval until idle past the TTL. */
  flush(ctx: FlushContext, keepGauge: boolean): void {
    if (keepGauge) ctx.out.push(this.datapoint(ctx, this.value, ''));
  }
}

const INITIAL_SAMPLES = 16;

export class TimerSeries extends Series {
  get kind(): MetricKind {
    return 'timer';
  }
  unit = '';
  private samples: Float64Array | null = null;
  /** Only allocated once a sampled (rate < 1) value arrives. */
  private weights: Float64Array | null = null;
  private n = 0;
  private sketch: DDSketch | null = null;
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  /** Weighted Welford: mean and sum of squared deviations, stable for large values. */
  private mean = 0;
  private m2 = 0;

  add(line: StatsdLine, limits: SeriesLimits): void {
    this.unit = line.unit;
    const weight = 1 / line.sampleRate;
    for (let i = 0; i < line.valueCount; i++) this.addSample(line.values[i]!, weight, limits);
  }

  private addSample(value: number, weight: number, limits: SeriesLimits): void {
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const delta = value - this.mean;
    this.mean += (delta * weight) / this.count;
    this.m2 += weight * delta * (value - this.mean);

    if (this.sketch !== null) {
      this.sketch.add(value, weight);
      return;
    }
    if (this.n === limits.timerSampleCap) {
      this.moveToSketch(limits.sketchRelativeAccuracy);
      this.sketch!.add(value, weight);
      return;
    }
    let samples = this.samples;
    if (samples === null || this.n === samples.length) samples = this.growSamples(limits.timerSampleCap);
    samples[this.n] = value;
    if (weight !== 1 && this.weights === null)
      this.weights = new Float64Array(samples.length).fill(1, 0, this.n);
    if (this.weights !== null) this.weights[this.n] = weight;
    this.n++;
  }

  private growSamples(cap: number): Float64Array {
    const size = this.samples === null ? INITIAL_SAMPLES : Math.min(cap, this.samples.length * 2);
    const next = new Float64Array(size);
    if (this.samples !== null) next.set(this.samples);
    this.samples = next;
    if (this.weights !== null) {
      const w = new Float64Array(size);
      w.set(this.weights);
      this.weights = w;
    }
    return next;
  }

  private moveToSketch(relativeAccuracy: number): void {
    const sketch = new DDSketch(relativeAccuracy);
    for (let i = 0; i < this.n; i++)
      sketch.add(this.samples![i]!, this.weights === null ? 1 : this.weights[i]!);
    this.sketch = sketch;
    this.n = 0;
  }

  flush(ctx: FlushContext): void {
    if (this.lastSeen < ctx.generation) {
      // Idle interval: give the buffers back so idle timers cost almost nothing.
      this.samples = null;
      this.weights = null;
      return;
    }
    const summary: TimerSummary = {
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      // sum / count is exact where the running Welford mean drifts by an ulp.
      mean: this.sum / this.count,
      stddev: Math.sqrt(Math.max(0, this.m2 / this.count)),
      percentiles: this.percentiles(ctx),
      approximate: this.sketch !== null,
    };
    if (this.sketch !== null) summary.sketch = this.sketch.snapshot();
    const point = this.datapoint(ctx, summary.mean, this.unit);
    point.timer = summary;
    ctx.out.push(point);
    this.reset();
  }

  private percentiles(ctx: FlushContext): Record<string, number> {
    const { percentiles } = ctx;
    if (this.sketch !== null) {
      const values = new Array<number>(percentiles.length);
      for (let i = 0; i < percentiles.length; i++) {
        const rank = Math.ceil((percentiles[i]! / 100) * this.count - 1e-9 * this.count);
        const v = this.sketch.valueAtRank(Math.max(1, rank));
        // The sketch's bin midpoint can step past the exact extremes; clamp to them.
        values[i] = Math.min(this.max, Math.max(this.min, v));
      }
      return ctx.percentileRecord(values);
    }
    return ctx.percentileRecord(nearestRank(this.samples!, this.weights, this.n, percentiles));
  }

  private reset(): void {
    this.n = 0;
    this.sketch = null;
    this.weights = null;
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.mean = 0;
    this.m2 = 0;
  }
}

export class SetSeries extends Series {
  get kind(): MetricKind {
    return 'set';
  }
  private members: MemberSet | null = null;
  private hll: HyperLogLog | null = null;

  add(line: StatsdLine, limits: SeriesLimits): void {
    const hash = hashMemberBytes(line.bytes, line.memberStart, line.memberEnd);
    if (this.hll !== null) {
      this.hll.add(hash);
      return;
    }
    if (this.members === null) this.members = new MemberSet();
    if (this.members.add(hash) > limits.setExactCap) {
      const hll = new HyperLogLog();
      this.members.forEach((h) => {
        hll.add(h);
      });
      this.hll = hll;
      this.members = null;
    }
  }

  flush(ctx: FlushContext): void {
    if (this.lastSeen < ctx.generation) return;
    const distinct = this.hll !== null ? this.hll.estimate() : (this.members?.size ?? 0);
    ctx.out.push(this.datapoint(ctx, distinct, ''));
    this.members = null;
    this.hll = null;
  }
}
