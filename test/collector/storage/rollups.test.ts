/**
 * The minute and hour rollups hold the same count, sum, min, max, last value and rates per
 * series and window as the raw rows, however the rows were split into inserts.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import { BASE_MS, dimensions, metrics, point, timerSummary } from './records.js';
import { openMigratedStorage, type TestStorage } from './test-storage.js';

let db: TestStorage;
beforeAll(async () => {
  db = await openMigratedStorage();
});
afterAll(async () => {
  await db?.drop();
});

/** Deterministic pseudo-random values (a fixed LCG), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Window {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastMs: number;
  rateSum: number;
  rateMax: number;
}

function expectedWindows(points: readonly (Datapoint & { series: string })[], windowMs: number) {
  const windows = new Map<string, Window>();
  for (const p of points) {
    const start = Math.floor(p.timeMs / windowMs) * windowMs;
    const key = `${p.series}@${start}`;
    const w = windows.get(key);
    const rate = p.rate ?? 0;
    if (w === undefined)
      windows.set(key, {
        count: 1,
        sum: p.value,
        min: p.value,
        max: p.value,
        last: p.value,
        lastMs: p.timeMs,
        rateSum: rate,
        rateMax: rate,
      });
    else {
      w.count++;
      w.sum += p.value;
      w.min = Math.min(w.min, p.value);
      w.max = Math.max(w.max, p.value);
      if (p.timeMs > w.lastMs) {
        w.last = p.value;
        w.lastMs = p.timeMs;
      }
      w.rateSum += rate;
      w.rateMax = Math.max(w.rateMax, rate);
    }
  }
  return windows;
}

test('datapoint rollups per minute and per hour match the raw rows', async () => {
  const next = random(42);
  const all: (Datapoint & { series: string })[] = [];
  const builder = new RowsBuilder();
  let inserts = 0;
  // 2 containers x 2 metrics x 2 tag sets, every 10 s for 2.5 hours, inserted in ragged chunks.
  for (let t = 0; t < 900; t++) {
    const timeMs = BASE_MS + t * 10_000;
    for (const container of ['c1', 'c2']) {
      const points: (Datapoint & { series: string })[] = [];
      for (const route of ['/a', '/b']) {
        const gauge = point('mem', 'gauge', Math.round(next() * 1e6) / 100, timeMs, { tags: { route } });
        const increase = Math.floor(next() * 500);
        const counter = point('req', 'counter', increase, timeMs, { tags: { route }, rate: increase / 10 });
        points.push(
          { ...gauge, series: `${container}|mem|${route}` },
          { ...counter, series: `${container}|req|${route}` },
        );
      }
      all.push(...points);
      builder.add(
        metrics(
          points.map(({ series: _, ...p }) => p),
          dimensions({ container_id: container }),
        ),
      );
    }
    if (next() < 0.05 || t === 899) {
      for (const payload of builder.payloads())
        await db.storage.insert(payload, { dedupToken: `rollups:${++inserts}` });
      builder.reset();
    }
  }
  expect(inserts).toBeGreaterThan(10);

  for (const [table, windowMs] of [
    ['datapoints_1m', 60_000],
    ['datapoints_1h', 3_600_000],
  ] as const) {
    const rows = await db.storage.query<Record<string, string | number>>(
      `SELECT concat(container_id, '|', name, '|', tags['route']) AS key, toUnixTimestamp(time) * 1000 AS start,
        sum(count) AS n, sum(sum) AS total, min(min) AS lowest, max(max) AS highest, max(last).2 AS final,
        sum(rate_sum) AS rates, max(rate_max) AS peak_rate
       FROM ${table} GROUP BY key, start`,
    );
    const expected = expectedWindows(all, windowMs);
    expect(rows.length, table).toBe(expected.size);
    for (const row of rows) {
      const w = expected.get(`${row.key}@${row.start}`);
      expect(w, `${table} ${row.key}@${row.start}`).toBeDefined();
      expect(Number(row.n)).toBe(w!.count);
      expect(row.total as number).toBeCloseTo(w!.sum, 6);
      expect(row.lowest).toBe(w!.min);
      expect(row.highest).toBe(w!.max);
      expect(row.final).toBe(w!.last);
      expect(row.rates as number).toBeCloseTo(w!.rateSum, 6);
      expect(row.peak_rate).toBe(w!.rateMax);
    }
  }
});

test('timer rollups add counts, sums and sketch bins, keep extremes and a mergeable deviation', async () => {
  const builder = new RowsBuilder();
  const samplesPerInterval = [
    [1, 2, 3, 4],
    [10, 20],
    [5, 5, 5, 7, 9, 11],
  ];
  const timeMs = BASE_MS + 3_600_000 + 5_000;
  for (const [i, samples] of samplesPerInterval.entries()) {
    const n = samples.length;
    const sum = samples.reduce((a, b) => a + b, 0);
    const mean = sum / n;
    const stddev = Math.sqrt(samples.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
    builder.add(
      metrics([
        point('job.duration', 'timer', mean, timeMs + i * 10_000, {
          timer: timerSummary({
            count: n,
            sum,
            min: Math.min(...samples),
            max: Math.max(...samples),
            mean,
            stddev,
            percentiles: {},
          }),
        }),
      ]),
    );
    for (const payload of builder.payloads()) await db.storage.insert(payload, { dedupToken: `timers:${i}` });
    builder.reset();
  }
  const all = samplesPerInterval.flat();
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const stddev = Math.sqrt(all.reduce((a, v) => a + (v - mean) ** 2, 0) / all.length);
  for (const table of ['timer_summaries_1m', 'timer_summaries_1h']) {
    const [row] = await db.storage.query<Record<string, number | string>>(
      // Aliases other than the column names: ClickHouse would resolve sum(count) to an alias count.
      `SELECT sum(summaries) AS n, sum(sketches_from_percentiles) AS built, sum(count) AS samples,
        sum(sum) AS total, min(min) AS lowest, max(max) AS highest,
        sqrt(sum(sum_squares) / sum(count) - pow(sum(sum) / sum(count), 2)) AS deviation,
        sumMap(sketch_positive) AS bins
       FROM ${table} WHERE name = 'job.duration'`,
    );
    expect(row, table).toMatchObject({
      n: '3',
      built: '3',
      samples: all.length,
      total: 82,
      lowest: 1,
      highest: 20,
    });
    expect(row!.deviation as number).toBeCloseTo(stddev, 9);
    // Without percentiles, each summary's whole weight sits at its max.
    const weights = Object.values(row!.bins as unknown as Record<string, number>).sort((a, b) => a - b);
    expect(weights).toEqual([2, 4, 6]);
  }
});
