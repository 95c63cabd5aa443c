/**
 * One container's (or the node's) datapoints for one flush interval, as the benchmarks of the
 * Kafka sink, the Avro encoder and the ClickHouse insert use them: every 25 datapoints one
 * timer (4 percentiles), one set, and counters (with rates) and gauges alternating, each with
 * 3 tags. Built the way the agent's series build them (a literal, then optional fields), so
 * property access costs what it costs in the agent.
 */
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions } from '../../lib/model/dimensions.js';

export interface RealisticDatapointsOptions {
  count: number;
  timeMs: number;
  containerId?: string;
  dimensions?: Readonly<Dimensions>;
  /** Timers carry a DDSketch and are approximate. */
  withSketches?: boolean;
  /** Varies the values (and the timer sums) per batch; without it they follow the index. */
  seed?: number;
  /** Distinct names per kind (i % nameCardinality); every datapoint its own name without it. */
  nameCardinality?: number;
}

const BASE_NAMES = {
  timer: 'http.request.duration',
  set: 'users.active',
  counter: 'http.requests',
  gauge: 'memory.usage_bytes',
} as const;

export function realisticDatapoints(options: RealisticDatapointsOptions): Datapoint[] {
  const { count, timeMs, containerId, dimensions, seed } = options;
  const withSketches = options.withSketches ?? false;
  const points: Datapoint[] = [];
  for (let i = 0; i < count; i++) {
    const slot = i % 25;
    const kind = slot === 0 ? 'timer' : slot === 1 ? 'set' : slot % 2 === 0 ? 'counter' : 'gauge';
    const name = `${BASE_NAMES[kind]}.${options.nameCardinality === undefined ? i : i % options.nameCardinality}`;
    const value =
      seed === undefined
        ? kind === 'gauge'
          ? 734_003_200 + i
          : 1520 + i
        : kind === 'gauge'
          ? 734_003_200 + ((i * 7919 + seed) % 100_000)
          : 1520 + ((i + seed) % 97);
    const unit = kind === 'timer' ? 'ms' : kind === 'gauge' ? 'bytes' : '';
    const tags = { env: 'prod', region: 'eu-west-1', endpoint: `/api/v1/items/${i % 25}` };
    const point: Datapoint = { name, kind, value, unit, timeMs, tags };
    if (containerId !== undefined) point.containerId = containerId;
    if (kind === 'counter') point.rate = value / 10;
    if (kind === 'timer') {
      point.timer = {
        count: 1200 + i,
        sum: 54_321.5 + (seed ?? 0),
        min: 0.7,
        max: 812.25,
        mean: 45.27,
        stddev: 31.9,
        percentiles: { '50': 38.5, '90': 88.1, '95': 120.75, '99': 402.5 },
        approximate: withSketches,
      };
      if (withSketches) {
        point.timer.sketch = {
          relativeAccuracy: 0.01,
          positiveOffset: -35,
          positiveBins: Array.from({ length: 120 }, (_, b) => (b * 7) % 31),
          negativeOffset: 0,
          negativeBins: [],
          zeroCount: 0,
        };
      }
    }
    if (dimensions !== undefined) point.dimensions = dimensions;
    points.push(point);
  }
  return points;
}
