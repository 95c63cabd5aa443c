/**
 * Percentiles over a window, computed in SQL (corral_sketch_quantile) from the sketch bins of
 * several 10 s summaries, match the exact percentile of all their samples within the sketch's
 * relative accuracy; from the raw summaries and from the rollups alike.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DDSketch } from '../../../agent/transforms/statsd-aggregate/ddsketch.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { SKETCH_ACCURACY } from '../../../collector/sinks/clickhouse/stored-sketch.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import { BASE_MS, metrics, point, timerSummary } from './records.js';
import { openMigratedStorage, type TestStorage } from './test-storage.js';

let db: TestStorage;
beforeAll(async () => {
  db = await openMigratedStorage();
});
afterAll(async () => {
  await db?.drop();
});

const QUANTILES = [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Nearest rank, as the agent computes percentiles. */
function exactQuantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9 * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** One 10 s summary of `samples` carrying the agent's sketch. */
function sketchedTimer(name: string, samples: readonly number[], timeMs: number): Datapoint {
  const sketch = new DDSketch(SKETCH_ACCURACY);
  for (const v of samples) sketch.add(v);
  const sum = samples.reduce((a, b) => a + b, 0);
  return point(name, 'timer', sum / samples.length, timeMs, {
    unit: 'ms',
    timer: timerSummary({
      count: samples.length,
      sum,
      min: Math.min(...samples),
      max: Math.max(...samples),
      mean: sum / samples.length,
      percentiles: {},
      approximate: true,
      sketch: sketch.snapshot(),
    }),
  });
}

async function insertSummaries(points: Datapoint[], token: string): Promise<void> {
  const builder = new RowsBuilder();
  builder.add(metrics(points));
  for (const payload of builder.payloads()) await db.storage.insert(payload, { dedupToken: token });
}

async function sqlQuantiles(table: string, name: string): Promise<number[]> {
  const columns = QUANTILES.map(
    (q, i) =>
      `corral_sketch_quantile(${q}, any(sketch_accuracy), sumMap(sketch_positive), sumMap(sketch_negative), sum(sketch_zero)) AS q${i}`,
  );
  const [row] = await db.storage.query<Record<string, number>>(
    `SELECT ${columns.join(', ')} FROM ${table} WHERE name = '${name}'`,
  );
  return QUANTILES.map((_, i) => row![`q${i}`]!);
}

describe('corral_sketch_quantile', () => {
  test('over 30 summaries of 10 s (5 minutes), within the relative accuracy of the exact percentile', async () => {
    const next = random(7);
    const all: number[] = [];
    const points: Datapoint[] = [];
    for (let interval = 0; interval < 30; interval++) {
      // Latencies of a shifting log-normal-ish shape, some intervals much slower than others.
      const scale = interval % 7 === 0 ? 40 : 5;
      const samples = Array.from(
        { length: 200 + interval * 13 },
        () => scale * Math.exp(2 * next() * next()) + next(),
      );
      all.push(...samples);
      points.push(sketchedTimer('http.latency', samples, BASE_MS + interval * 10_000));
    }
    await insertSummaries(points.slice(0, 17), 'sketch:1');
    await insertSummaries(points.slice(17), 'sketch:2');
    all.sort((a, b) => a - b);
    for (const table of ['timer_summaries', 'timer_summaries_1m', 'timer_summaries_1h']) {
      const estimates = await sqlQuantiles(table, 'http.latency');
      QUANTILES.forEach((q, i) => {
        const exact = exactQuantile(all, q);
        expect(
          Math.abs(estimates[i]! - exact),
          `${table} q${q}: ${estimates[i]} vs ${exact}`,
        ).toBeLessThanOrEqual(SKETCH_ACCURACY * Math.abs(exact) * (1 + 1e-9));
      });
    }
  });

  test('negative values, zeros and positive values in order', async () => {
    const samples = [-50, -20, -20, -1, 0, 0, 0, 3, 8, 1000];
    await insertSummaries(
      [
        sketchedTimer('signed', samples.slice(0, 5), BASE_MS),
        sketchedTimer('signed', samples.slice(5), BASE_MS + 10_000),
      ],
      'sketch:signed',
    );
    const estimates = await sqlQuantiles('timer_summaries', 'signed');
    QUANTILES.forEach((q, i) => {
      const exact = exactQuantile(samples, q);
      expect(Math.abs(estimates[i]! - exact), `q${q}`).toBeLessThanOrEqual(
        SKETCH_ACCURACY * Math.abs(exact) + 1e-12,
      );
    });
  });

  test('empty bins give nan', async () => {
    const [row] = await db.storage.query<{ q: unknown }>(
      'SELECT corral_sketch_quantile(0.5, 0.01, map(), map(), 0) AS q',
    );
    expect(row!.q).toBeNull(); // JSON has no nan: ClickHouse writes it as null
  });

  test('sketches built from exact percentiles: exact at those percentiles, never below the truth in between', async () => {
    const next = random(11);
    const all: number[] = [];
    const points: Datapoint[] = [];
    for (let interval = 0; interval < 6; interval++) {
      const samples = Array.from({ length: 100 }, () => 1 + 99 * next() ** 2).sort((a, b) => a - b);
      all.push(...samples);
      const percentiles = { '50': exactQuantile(samples, 0.5), '90': exactQuantile(samples, 0.9) };
      const sum = samples.reduce((a, b) => a + b, 0);
      points.push(
        point('exact.latency', 'timer', sum / 100, BASE_MS + interval * 10_000, {
          timer: timerSummary({ count: 100, sum, min: samples[0]!, max: samples[99]!, percentiles }),
        }),
      );
      if (interval === 0) {
        // One summary alone answers its own percentiles (to the bin).
        await insertSummaries([points[0]!], 'exact:first');
        const bins =
          'any(sketch_accuracy), sumMap(sketch_positive), sumMap(sketch_negative), sum(sketch_zero)';
        const [row] = await db.storage.query<{ p50: number; p90: number }>(
          `SELECT corral_sketch_quantile(0.5, ${bins}) AS p50, corral_sketch_quantile(0.9, ${bins}) AS p90
           FROM timer_summaries WHERE name = 'exact.latency'`,
        );
        expect(Math.abs(row!.p50 - percentiles['50']) / percentiles['50']).toBeLessThanOrEqual(
          SKETCH_ACCURACY,
        );
        expect(Math.abs(row!.p90 - percentiles['90']) / percentiles['90']).toBeLessThanOrEqual(
          SKETCH_ACCURACY,
        );
      }
    }
    await insertSummaries(points.slice(1), 'exact:rest');
    all.sort((a, b) => a - b);
    const estimates = await sqlQuantiles('timer_summaries_1m', 'exact.latency');
    QUANTILES.forEach((q, i) => {
      expect(estimates[i]!, `q${q}`).toBeGreaterThanOrEqual(exactQuantile(all, q) * (1 - SKETCH_ACCURACY));
    });
  });
});
