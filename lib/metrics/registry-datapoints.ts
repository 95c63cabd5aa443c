/**
 * A prom-client Registry read as datapoints, so the agent's and the collector's self-metrics
 * are stored next to the metrics they describe (agent/sources/self, collector/sources/self).
 *
 * - gauge: the value as read, kind gauge;
 * - counter: the increase since the previous reading and its rate per second, kind counter,
 *   through the counter-deltas transform: the reader's first reading emits no counters (it
 *   has no interval), a counter that went backwards (a reset) counts from zero, and a series
 *   that appears in a later reading (a label value seen for the first time: the collected
 *   counters create their label sets lazily) counts from zero at the previous reading, as
 *   it did not exist then;
 * - histogram: `<name>_sum` and `<name>_count` as counters, and `<name>_p50` and
 *   `<name>_p99` as gauges, estimated from the increases of the buckets over the interval as
 *   Prometheus' histogram_quantile() does (linear within a bucket); absent for an interval
 *   without observations. Buckets themselves are not emitted.
 * - summaries (none registered today) are left out.
 *
 * `name` is the Prometheus metric name exactly; labels become tags, with the reader's base
 * tags (component, host) added. Units come from the name: a `seconds` word seconds, a
 * `bytes` word bytes (`corral_statsd_bytes_received_total`), anything else (and every
 * histogram `_count`) count.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { CounterDeltas } from '../../agent/transforms/counter-deltas/counter-deltas.js';
import type { Datapoint } from '../model/datapoint.js';

/** Quantiles estimated from each histogram's buckets, as `<name>_p<q*100>` gauges. */
export const HISTOGRAM_QUANTILES = [0.5, 0.99] as const;

/** Prometheus' default process and Node.js metrics (collectDefaultMetrics) are not read. */
const DEFAULT_METRIC = /^(process_|nodejs_)/;

export interface RegistryDatapointsOptions {
  /** Tags on every datapoint (component, host); they win over a label of the same name. */
  tags: Readonly<Record<string, string>>;
  /** Metrics left out; by default prom-client's default process and Node.js metrics. */
  skip?: (name: string) => boolean;
}

/** The unit a Prometheus metric name ends with (base units, as docs/metrics.md has them). */
export function unitOf(name: string): string {
  if (name.endsWith('_count')) return 'count';
  if (/(^|_)seconds(_|$)/.test(name)) return 'seconds';
  if (/(^|_)bytes(_|$)/.test(name)) return 'bytes';
  return 'count';
}

type Labels = Readonly<Partial<Record<string, string | number>>>;

/** Reads a registry into datapoints on every call; one instance per registry (it keeps the last readings). */
export class RegistryDatapoints {
  private readonly deltas = new SeriesDeltas();
  private readonly skip: (name: string) => boolean;

  constructor(
    private readonly registry: Registry,
    private readonly options: RegistryDatapointsOptions,
  ) {
    this.skip = options.skip ?? ((name) => DEFAULT_METRIC.test(name));
  }

  /**
   * The registry's metrics now, stamped timeMs (the interval boundary); atMs is the monotonic
   * time of the reading (performance.now()), for rates.
   */
  async read(timeMs: number, atMs: number = performance.now()): Promise<Datapoint[]> {
    return this.convert(await this.registry.getMetricsAsJSON(), timeMs, atMs);
  }

  /** The datapoints of metrics already read (getMetricsAsJSON()). */
  convert(
    metrics: readonly MetricObjectWithValues<MetricValue<string>>[],
    timeMs: number,
    atMs: number,
  ): Datapoint[] {
    const out = new PointsOut(this.deltas, this.options.tags, timeMs, atMs);
    this.deltas.begin();
    for (const metric of metrics) {
      if (this.skip(metric.name)) continue;
      switch (String(metric.type)) {
        case 'gauge':
          for (const v of metric.values) out.gauge(metric.name, v.value, v.labels);
          break;
        case 'counter':
          for (const v of metric.values) out.counter(metric.name, v.value, v.labels);
          break;
        case 'histogram':
          this.histogram(out, metric);
          break;
      }
    }
    this.deltas.end(atMs);
    return out.points;
  }

  private histogram(out: PointsOut, metric: MetricObjectWithValues<MetricValue<string>>): void {
    // One series per label set: its buckets (cumulative counts by upper bound), sum and count.
    const series = new Map<string, { labels: Labels; buckets: [number, number][] }>();
    const seriesOf = (labels: Labels) => {
      const { le: _le, ...own } = labels;
      const key = seriesKey(own);
      let s = series.get(key);
      if (s === undefined) {
        s = { labels: own, buckets: [] };
        series.set(key, s);
      }
      return s;
    };
    for (const v of metric.values) {
      const name = (v as MetricValue<string> & { metricName?: string }).metricName ?? metric.name;
      if (name.endsWith('_bucket')) {
        const le = v.labels.le;
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        seriesOf(v.labels).buckets.push([bound, v.value]);
      } else if (name.endsWith('_sum') || name.endsWith('_count')) {
        out.counter(name, v.value, v.labels);
      }
    }
    for (const { labels, buckets } of series.values()) {
      buckets.sort((a, b) => a[0] - b[0]);
      // The increase of each cumulative bucket over the interval.
      const increases: [number, number][] = [];
      const key = seriesKey(labels);
      let complete = true;
      for (const [bound, cumulative] of buckets) {
        if (this.deltas.observe(`${metric.name}_bucket`, `${key}\u0000${bound}`, cumulative, out.atMs))
          increases.push([bound, this.deltas.increase]);
        else complete = false;
      }
      if (!complete) continue;
      for (const q of HISTOGRAM_QUANTILES) {
        const value = bucketQuantile(q, increases);
        if (value !== undefined) out.gauge(`${metric.name}_p${Math.round(q * 100)}`, value, labels);
      }
    }
  }
}

/**
 * The q-quantile of cumulative bucket counts ([upper bound, count] sorted by bound, the last
 * +Inf), as histogram_quantile(): linear within the bucket the rank falls in, the lowest
 * bucket starting at 0, a rank in the +Inf bucket giving the highest finite bound. Undefined
 * without observations.
 */
export function bucketQuantile(
  q: number,
  buckets: readonly (readonly [number, number])[],
): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + (bound - lowerBound) * ((rank - lowerCount) / (count - lowerCount));
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** The label values in name order: the key a series' counter readings are kept under. */
function seriesKey(labels: Labels): string {
  let key = '';
  for (const name of Object.keys(labels).sort()) key += `\u0000${name}=${labels[name]}`;
  return key;
}

/** CounterDeltas over whole readings, with series that appear after the first reading counted from zero. */
class SeriesDeltas {
  private readonly deltas = new CounterDeltas();
  /** The series of the previous reading and when it was taken; undefined before the first. */
  private previous: { seen: Set<string>; atMs: number } | undefined;
  private seen = new Set<string>();

  get increase(): number {
    return this.deltas.increase;
  }

  get rate(): number {
    return this.deltas.rate;
  }

  begin(): void {
    this.deltas.begin();
    this.seen = new Set();
  }

  /** As CounterDeltas.observe. */
  observe(name: string, series: string, value: number, atMs: number): boolean {
    const key = `${name}\u0001${series}`;
    this.seen.add(key);
    if (this.previous !== undefined && !this.previous.seen.has(key))
      this.deltas.observe(name, series, 0, this.previous.atMs);
    return this.deltas.observe(name, series, value, atMs);
  }

  /** Ends a reading taken at atMs: series not seen in it are forgotten. */
  end(atMs: number): void {
    this.deltas.sweep();
    this.previous = { seen: this.seen, atMs };
  }
}

/** Collects one reading's datapoints. */
class PointsOut {
  readonly points: Datapoint[] = [];

  constructor(
    private readonly deltas: SeriesDeltas,
    private readonly baseTags: Readonly<Record<string, string>>,
    private readonly timeMs: number,
    readonly atMs: number,
  ) {}

  gauge(name: string, value: number, labels: Labels): void {
    if (!Number.isFinite(value)) return;
    this.points.push(this.point(name, 'gauge', value, labels, undefined));
  }

  counter(name: string, value: number, labels: Labels): void {
    if (!Number.isFinite(value)) return;
    if (!this.deltas.observe(name, seriesKey(labels), value, this.atMs)) return;
    this.points.push(this.point(name, 'counter', this.deltas.increase, labels, this.deltas.rate));
  }

  private point(
    name: string,
    kind: 'counter' | 'gauge',
    value: number,
    labels: Labels,
    rate: number | undefined,
  ): Datapoint {
    return { name, kind, value, unit: unitOf(name), timeMs: this.timeMs, tags: this.tags(labels), rate };
  }

  /** Labels and base tags, sorted by name. */
  private tags(labels: Labels): Record<string, string> {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (v !== undefined) merged[k] = String(v);
    Object.assign(merged, this.baseTags);
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(merged).sort()) sorted[k] = merged[k]!;
    return sorted;
  }
}
