import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { bucketQuantile, RegistryDatapoints, unitOf } from '../../lib/metrics/registry-datapoints.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

const BASE = { component: 'agent', host: 'node-1' };

function setup() {
  const registry = new Registry();
  const lines = new Counter({
    name: 'corral_statsd_lines_received_total',
    help: 'h',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'corral_statsd_lines_rejected_total',
    help: 'h',
    labelNames: ['reason'],
    registers: [registry],
  });
  const live = new Gauge({ name: 'corral_statsd_live_series', help: 'h', registers: [registry] });
  const latency = new Histogram({
    name: 'corral_collector_insert_duration_seconds',
    help: 'h',
    labelNames: ['table'],
    buckets: [0.1, 0.5, 1],
    registers: [registry],
  });
  const reader = new RegistryDatapoints(registry, { tags: BASE });
  return { registry, lines, rejected, live, latency, reader };
}

const byName = (points: Datapoint[]) =>
  Object.fromEntries(points.map((p) => [`${p.name}${JSON.stringify(p.tags)}`, p]));

describe('RegistryDatapoints', () => {
  it('emits gauges at once and counters from the second reading, as increase and rate', async () => {
    const { lines, rejected, live, reader } = setup();
    lines.inc(5);
    rejected.inc({ reason: 'bad_type' }, 2);
    live.set(42);

    const first = await reader.read(10_000, 0);
    // A first reading has no interval: only the gauge.
    expect(first).toEqual([
      {
        name: 'corral_statsd_live_series',
        kind: 'gauge',
        value: 42,
        unit: 'count',
        timeMs: 10_000,
        tags: { component: 'agent', host: 'node-1' },
        rate: undefined,
      },
    ]);

    lines.inc(7);
    rejected.inc({ reason: 'bad_type' }, 3);
    rejected.inc({ reason: 'bad_value' }, 1);
    live.set(40);
    const second = byName(await reader.read(20_000, 2_000));
    expect(second['corral_statsd_lines_received_total{"component":"agent","host":"node-1"}']).toEqual({
      name: 'corral_statsd_lines_received_total',
      kind: 'counter',
      value: 7,
      unit: 'count',
      timeMs: 20_000,
      tags: { component: 'agent', host: 'node-1' },
      rate: 3.5,
    });
    // Labels become tags, sorted with the base tags.
    const badType =
      second['corral_statsd_lines_rejected_total{"component":"agent","host":"node-1","reason":"bad_type"}'];
    expect(badType).toMatchObject({ kind: 'counter', value: 3, rate: 1.5 });
    expect(Object.keys(badType!.tags)).toEqual(['component', 'host', 'reason']);
    // A label set first seen after the first reading did not exist then: it counts from zero.
    expect(
      second['corral_statsd_lines_rejected_total{"component":"agent","host":"node-1","reason":"bad_value"}'],
    ).toMatchObject({ kind: 'counter', value: 1, rate: 0.5 });
    expect(second['corral_statsd_live_series{"component":"agent","host":"node-1"}']).toMatchObject({
      kind: 'gauge',
      value: 40,
    });

    // A counter reset (a restarted metric) counts from zero, never negative.
    lines.reset();
    lines.inc(2);
    rejected.inc({ reason: 'bad_value' }, 4);
    const third = byName(await reader.read(30_000, 4_000));
    expect(third['corral_statsd_lines_received_total{"component":"agent","host":"node-1"}']).toMatchObject({
      value: 2,
      rate: 1,
    });
    expect(
      third['corral_statsd_lines_rejected_total{"component":"agent","host":"node-1","reason":"bad_value"}'],
    ).toMatchObject({ value: 4, rate: 2 });
    expect(
      third['corral_statsd_lines_rejected_total{"component":"agent","host":"node-1","reason":"bad_type"}'],
    ).toMatchObject({ value: 0, rate: 0 });
  });

  it('turns a histogram into _sum and _count counters and p50/p99 gauges from the interval buckets', async () => {
    const { latency, reader } = setup();
    // Before the first reading: not part of any interval.
    latency.observe({ table: 'datapoints' }, 5);
    const first = await reader.read(10_000, 0);
    expect(first.filter((p) => p.name.startsWith('corral_collector_insert'))).toEqual([]);

    // 10 observations in the interval: 6 in (0, 0.1], 4 in (0.5, 1].
    for (let i = 0; i < 6; i++) latency.observe({ table: 'datapoints' }, 0.05);
    for (let i = 0; i < 4; i++) latency.observe({ table: 'datapoints' }, 0.8);
    const points = byName(await reader.read(20_000, 10_000));
    const key = (name: string) => `${name}{"component":"agent","host":"node-1","table":"datapoints"}`;
    expect(points[key('corral_collector_insert_duration_seconds_count')]).toMatchObject({
      kind: 'counter',
      unit: 'count',
      value: 10,
      rate: 1,
    });
    const sum = points[key('corral_collector_insert_duration_seconds_sum')]!;
    expect(sum).toMatchObject({ kind: 'counter', unit: 'seconds' });
    expect(sum.value).toBeCloseTo(6 * 0.05 + 4 * 0.8, 9);
    // Rank 5 of 10 falls in the first bucket (6 of them): 0.1 * 5/6.
    expect(points[key('corral_collector_insert_duration_seconds_p50')]).toMatchObject({
      kind: 'gauge',
      unit: 'seconds',
    });
    expect(points[key('corral_collector_insert_duration_seconds_p50')]!.value).toBeCloseTo(0.1 * (5 / 6), 9);
    // Rank 9.9 falls in (0.5, 1] (counts 6 -> 10): 0.5 + 0.5 * 3.9/4.
    expect(points[key('corral_collector_insert_duration_seconds_p99')]!.value).toBeCloseTo(
      0.5 + 0.5 * (3.9 / 4),
      9,
    );
    // No bucket is emitted.
    expect(Object.keys(points).some((k) => k.includes('_bucket'))).toBe(false);

    // An interval without observations: counters of 0, no quantiles.
    const quiet = await reader.read(30_000, 20_000);
    const insert = quiet.filter((p) => p.name.startsWith('corral_collector_insert'));
    expect(insert.map((p) => [p.name, p.value]).sort()).toEqual([
      ['corral_collector_insert_duration_seconds_count', 0],
      ['corral_collector_insert_duration_seconds_sum', 0],
    ]);
  });

  it('reads collect() metrics, leaves out default process metrics, and lets base tags win', async () => {
    const registry = new Registry();
    let value = 100;
    new Counter({
      name: 'corral_collector_commits_total',
      help: 'h',
      labelNames: ['component'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ component: 'other' }, value);
      },
    });
    new Gauge({ name: 'process_resident_memory_bytes', help: 'h', registers: [registry] }).set(1);
    const reader = new RegistryDatapoints(registry, { tags: { component: 'collector', host: 'h' } });
    expect(await reader.read(1000, 0)).toEqual([]);
    value = 130;
    expect(await reader.read(2000, 1000)).toEqual([
      {
        name: 'corral_collector_commits_total',
        kind: 'counter',
        value: 30,
        unit: 'count',
        timeMs: 2000,
        tags: { component: 'collector', host: 'h' },
        rate: 30,
      },
    ]);
  });

  it('names units after the metric name', () => {
    expect(unitOf('corral_scrape_duration_seconds')).toBe('seconds');
    expect(unitOf('corral_spool_dropped_bytes_total')).toBe('bytes');
    expect(unitOf('corral_x_seconds_sum')).toBe('seconds');
    expect(unitOf('corral_x_seconds_count')).toBe('count');
    expect(unitOf('corral_x_seconds_p99')).toBe('seconds');
    expect(unitOf('corral_statsd_lines_received_total')).toBe('count');
    expect(unitOf('corral_statsd_bytes_received_total')).toBe('bytes');
    expect(unitOf('corral_metadata_last_success_timestamp_seconds')).toBe('seconds');
  });

  it('estimates quantiles like histogram_quantile', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(
      bucketQuantile(0.5, [
        [1, 0],
        [inf, 0],
      ]),
    ).toBeUndefined();
    expect(
      bucketQuantile(0.5, [
        [1, 4],
        [2, 8],
        [inf, 8],
      ]),
    ).toBe(1);
    expect(
      bucketQuantile(0.75, [
        [1, 4],
        [2, 8],
        [inf, 8],
      ]),
    ).toBe(1.5);
    // In the +Inf bucket: the highest finite bound.
    expect(
      bucketQuantile(0.99, [
        [1, 4],
        [2, 8],
        [inf, 10],
      ]),
    ).toBe(2);
  });
});
