import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerCollectorMetrics } from '../../collector/metrics.js';
import { PipelineStats } from '../../collector/pipeline/stats.js';
import { runCollector } from '../../collector/run.js';
import {
  SELF_METRICS_INTERVAL_MS,
  startCollectorSelfMetrics,
} from '../../collector/sources/self/self-metrics.js';
import { openStorage } from '../../collector/storage/create-storage.js';
import type { InsertOptions, InsertPayload, Storage } from '../../collector/storage/storage.js';
import { MetadataEnricher } from '../../collector/transforms/enrich/metadata-enricher.js';
import { defaultConfig } from '../../lib/config/schema.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import { inProcessCollector } from '../helpers/in-process-collector.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';

const BATCHES = 12;
const POINTS = 25;

interface SelfRow {
  name: string;
  kind: string;
  unit: string;
  value: number;
  tags: Record<string, string>;
  hostname: string;
}

const silent = () =>
  pino(
    { level: 'silent' },
    new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    }),
  );

/** Sums of a self-metric's stored values, by its tags but component and host. */
async function storedSums(storage: Storage, name: string): Promise<Record<string, number>> {
  const rows = await storage.query<{ key: string; total: number }>(
    `SELECT toJSONString(mapFilter((k, v) -> k NOT IN ('component', 'host'), tags)) AS key, sum(value) AS total
       FROM datapoints WHERE name = '${name}' AND tags['component'] = 'collector' GROUP BY key`,
  );
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.total)]));
}

describe("the collector's self-metrics in ClickHouse (real embedded storage)", () => {
  it('the job inserts counter increases and gauges; an insert failure is counted, never thrown', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'corral-self-job-'));
    const { storage } = await openStorage({ ...defaultConfig().collector, dataDir });
    let failing = false;
    const flaky: Storage = Object.assign(Object.create(storage) as Storage, {
      insert: (payload: InsertPayload, options: InsertOptions) =>
        failing ? Promise.reject(new Error('down (test)')) : storage.insert(payload, options),
    });
    try {
      const registry = new Registry();
      const stats = new PipelineStats();
      registerCollectorMetrics(registry, { stats, deadLetters: new Map(), enricher: new MetadataEnricher() });
      const job = startCollectorSelfMetrics({
        registry,
        storage: flaky,
        log: new RateLimitedLog(silent()),
        intervalMs: 3_600_000,
        host: 'collector-1',
      });
      // Recent times: the table's TTL drops rows older than collector.ttlDatapoints.
      const base = Math.floor(Date.now() / 10_000) * 10_000 - 60_000;
      try {
        stats.rowsInserted.set('datapoints', 100);
        stats.bufferedRows = 7;
        await job.collect(base);
        stats.rowsInserted.set('datapoints', 250);
        stats.rowsInserted.set('task_events', 3);
        stats.bufferedRows = 2;
        await job.collect(base + 10_000);
        failing = true;
        await job.collect(base + 20_000);
        expect(job.stats).toMatchObject({ inserts: 2, failures: 1 });
      } finally {
        await job.stop();
      }
      // Rates are over the real time between the readings: here whether there is one (1/0, NULL for gauges).
      const rows = await storage.query<SelfRow & { time_ms: string; rate: number | null }>(
        `SELECT name, kind, unit, value, rate > 0 AS rate, tags, hostname, toString(toUnixTimestamp64Milli(time)) AS time_ms
           FROM datapoints WHERE name IN ('corral_collector_rows_inserted_total', 'corral_collector_buffered_rows')
           ORDER BY time, name, tags['table']`,
      );
      const tags = { component: 'collector', host: 'collector-1' };
      expect(rows).toEqual([
        {
          name: 'corral_collector_buffered_rows',
          kind: 'gauge',
          unit: 'count',
          value: 7,
          rate: null,
          tags,
          hostname: 'collector-1',
          time_ms: String(base),
        },
        {
          name: 'corral_collector_buffered_rows',
          kind: 'gauge',
          unit: 'count',
          value: 2,
          rate: null,
          tags,
          hostname: 'collector-1',
          time_ms: String(base + 10_000),
        },
        {
          name: 'corral_collector_rows_inserted_total',
          kind: 'counter',
          unit: 'count',
          value: 150,
          rate: 1,
          tags: { ...tags, table: 'datapoints' },
          hostname: 'collector-1',
          time_ms: String(base + 10_000),
        },
        // First seen in the second reading: it did not exist at the first, so all 3 count.
        {
          name: 'corral_collector_rows_inserted_total',
          kind: 'counter',
          unit: 'count',
          value: 3,
          rate: 1,
          tags: { ...tags, table: 'task_events' },
          hostname: 'collector-1',
          time_ms: String(base + 10_000),
        },
      ]);
    } finally {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a running collector stores its self-metrics (in-process, real embedded storage, mock broker)', () => {
  const prefix = `self${process.pid}-${Date.now()}.`;
  const collector = inProcessCollector(prefix, 1, 'corral-collector-self-');

  it('rows with component=collector whose counter increases add up to what was consumed and inserted', {
    timeout: 4 * SELF_METRICS_INTERVAL_MS + 20_000,
  }, async () => {
    let storage: Storage | undefined;
    const running = await runCollector(collector.config({ batchInterval: 200 }), silent(), {
      env: {},
      wrapStorage: (inner) => {
        storage = inner;
        return inner;
      },
    });
    collector.running = running;
    const store = storage!;
    const selfCount = async () =>
      Number(
        (
          await store.query<{ n: number }>(
            "SELECT toUInt32(count()) AS n FROM datapoints WHERE tags['component'] = 'collector'",
          )
        )[0]!.n,
      );
    // The first reading (gauges; counters start from it) is stored before anything is sent.
    await expect.poll(selfCount, { timeout: 2 * SELF_METRICS_INTERVAL_MS, interval: 200 }).toBeGreaterThan(0);

    const producer = await rawProducer(collector.broker.bootstrap);
    const start = Date.now() - 60_000;
    for (let n = 0; n < BATCHES; n++)
      await producer.send(`${prefix}metrics`, [batchMessage(testBatch(n, POINTS, start + n))]);
    await producer.disconnect();
    await expect
      .poll(() => running.stats.datapointsStored, { timeout: 20_000, interval: 100 })
      .toBe(BATCHES * POINTS);

    const total = BATCHES * POINTS;
    await expect
      .poll(async () => (await storedSums(store, 'corral_collector_datapoints_stored_total'))['{}'], {
        timeout: 3 * SELF_METRICS_INTERVAL_MS,
        interval: 250,
      })
      .toBe(total);
    expect(await storedSums(store, 'corral_collector_rows_inserted_total')).toEqual({
      '{"table":"datapoints"}': total,
    });
    expect((await storedSums(store, 'corral_collector_messages_consumed_total'))['{"topic":"metrics"}']).toBe(
      BATCHES,
    );
    // Every insert the histogram observed (registry now) is in the stored _count increases.
    const histogram = await running.registry
      .getSingleMetric('corral_collector_insert_duration_seconds')!
      .get();
    const inserts = histogram.values.find(
      (v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.table === 'datapoints',
    )!.value;
    expect(inserts).toBeGreaterThanOrEqual(1);
    expect(await storedSums(store, 'corral_collector_insert_duration_seconds_count')).toMatchObject({
      '{"table":"datapoints"}': inserts,
    });

    // The Kafka rows are all there, and the self rows are not counted among them.
    const [data] = await store.query<{ n: number }>(
      "SELECT toUInt32(count()) AS n FROM datapoints WHERE tags['component'] != 'collector'",
    );
    expect(Number(data!.n)).toBe(total);
    const [self] = await store.query<SelfRow>(
      `SELECT name, kind, unit, value, tags, hostname FROM datapoints
         WHERE name = 'corral_collector_rows_inserted_total' AND tags['component'] = 'collector' LIMIT 1`,
    );
    expect(self).toMatchObject({
      kind: 'counter',
      unit: 'count',
      tags: { component: 'collector', host: hostname(), table: 'datapoints' },
      hostname: hostname(),
    });
  });
});
