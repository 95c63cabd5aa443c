/**
 * npm run bench:collector (first of its two benchmarks)
 *
 * Insert throughput into embedded ClickHouse (chdb) with the full schema (every migration,
 * so the minute and hour rollups' materialized views run on each insert): realistic metric
 * batches (one container's datapoints per batch, 500 per batch, each its own series as in a flush: counters with rates, gauges,
 * sets, 20 timers with 4 percentiles, 3 tags each, shared dimensions with labels) from 200
 * containers of 20 tasks of 4 frameworks, successive 10 s intervals, inserted 100,000
 * datapoints at a time (collector.batchRows) with a deduplication token each. Prints JSON:
 *   build       RowsBuilder.add + payloads(): datapoints/s on the JS thread
 *   sequential  build, then insert, then the next: datapoints/s end to end
 *   pipelined   the next batch built while the previous insert runs (what a consumer can do)
 * with CPU seconds per second of wall clock (the engine's threads are in this process).
 * Target: >= 500,000 datapoints/s into embedded ClickHouse.
 *   BENCH_ROWS        datapoints per measurement (default 2,000,000)
 *   BENCH_CONTAINERS  containers per interval, 500 datapoints each, one insert (default 200)
 *   BENCH_DATA_DIR    where the data goes (default: a temporary directory, removed after)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorRecord } from '../../collector/model.js';
import { RowsBuilder } from '../../collector/sinks/clickhouse/rows.js';
import { ddlContext } from '../../collector/storage/create-storage.js';
import { EmbeddedStorage } from '../../collector/storage/embedded-storage.js';
import { migrate } from '../../collector/storage/migrations.js';
import type { InsertPayload, Storage } from '../../collector/storage/storage.js';
import { defaultConfig } from '../../lib/config/schema.js';
import type { Dimensions } from '../../lib/model/dimensions.js';
import { clusterContainerDimensions } from '../shared/cluster-containers.js';
import { realisticDatapoints } from '../shared/realistic-datapoints.js';

const DATAPOINTS_PER_BATCH = 500;
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 200);
const INSERT_ROWS = CONTAINERS * DATAPOINTS_PER_BATCH;
const TOTAL_ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const TARGET_PER_SECOND = 500_000;
const INTERVAL_MS = 10_000;
// Recent enough for every TTL: rows older than their table's TTL are dropped as they are inserted.
const START_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

/** One container's datapoints for one interval, built the way the collector's decoder builds them. */
function batch(dimensions: Readonly<Dimensions>, timeMs: number, seed: number): CollectorRecord {
  const datapoints = realisticDatapoints({
    count: DATAPOINTS_PER_BATCH,
    timeMs,
    containerId: dimensions.container_id,
    seed,
  });
  return { type: 'metrics', agentId: 'bench', batchId: `${seed}`, dimensions, datapoints };
}

/** One interval: every container's batch (CONTAINERS x 500 datapoints, one insert). */
function interval(): CollectorRecord[] {
  return Array.from({ length: CONTAINERS }, (_, c) => batch(clusterContainerDimensions(c), START_MS, c));
}

/** Moves the interval's datapoints to the n-th interval (as the next flush would time them). */
function moveTo(records: readonly CollectorRecord[], n: number): void {
  const timeMs = START_MS + n * INTERVAL_MS;
  for (const record of records)
    if (record.type === 'metrics') for (const p of record.datapoints) p.timeMs = timeMs;
}

interface Measurement {
  datapointsPerSecond: number;
  cpuPerSecond: number;
  seconds: number;
}

async function measure(rows: number, run: () => Promise<void> | void): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    datapointsPerSecond: Math.round(rows / seconds),
    cpuPerSecond: Number(((used.user + used.system) / 1e6 / seconds).toFixed(2)),
    seconds: Number(seconds.toFixed(3)),
  };
}

let token = 0;
async function insertAll(storage: Storage, payloads: InsertPayload[]): Promise<void> {
  const id = `bench:${++token}`;
  for (const payload of payloads) await storage.insert(payload, { dedupToken: id });
}

/** Builds (and inserts, given a storage) intervals first.., the next built while the last is inserted when pipelined. */
async function run(
  storage: Storage | null,
  records: CollectorRecord[],
  first: number,
  intervals: number,
  pipelined: boolean,
): Promise<void> {
  const builder = new RowsBuilder();
  let inFlight: Promise<void> = Promise.resolve();
  for (let n = first; n < first + intervals; n++) {
    moveTo(records, n);
    for (const record of records) builder.add(record);
    const payloads = builder.payloads();
    builder.reset();
    if (storage === null) continue;
    if (pipelined) {
      await inFlight;
      inFlight = insertAll(storage, payloads);
    } else await insertAll(storage, payloads);
  }
  await inFlight;
}

async function storedCounts(storage: Storage) {
  const [stored] = await storage.query<{ datapoints: string; timers: string; minutes: string }>(
    `SELECT (SELECT count() FROM datapoints) AS datapoints, (SELECT count() FROM timer_summaries) AS timers,
      (SELECT count() FROM datapoints_1m) AS minutes`,
  );
  const [bytes] = await storage.query<{ bytes: string }>(
    "SELECT sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = 'corral_bench' AND table = 'datapoints' AND active",
  );
  return {
    datapointRows: Number(stored?.datapoints),
    timerRows: Number(stored?.timers),
    minuteRollupRows: Number(stored?.minutes),
    datapointBytesOnDisk: Number(bytes?.bytes),
  };
}

/**
 * The engine alone: one interval's payloads, built once, inserted again and again with new
 * tokens, into the tables with their rollup views and into copies without views. What no
 * JS work can beat on this machine.
 */
async function engineOnly(storage: Storage, records: CollectorRecord[], intervals: number, rows: number) {
  const builder = new RowsBuilder();
  for (const record of records) builder.add(record);
  const payloads = builder.payloads();
  for (const table of ['datapoints', 'timer_summaries'])
    await storage.exec(`CREATE TABLE IF NOT EXISTS ${table}_without_views AS ${table}`);
  const insertEach = async (rename: (table: string) => string) => {
    for (let n = 0; n < intervals; n++)
      await insertAll(
        storage,
        payloads.map((p) => ({ ...p, table: rename(p.table) })),
      );
  };
  return {
    withRollupViews: await measure(rows, () => insertEach((table) => table)),
    withoutViews: await measure(rows, () => insertEach((table) => `${table}_without_views`)),
  };
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'corral-bench-insert-'));
  const storage = await EmbeddedStorage.open({ dataDir: dir, database: 'corral_bench' });
  try {
    // The schema as the collector creates it with its default settings.
    await migrate(storage, ddlContext({ ...defaultConfig().collector, database: 'corral_bench' }));
    const records = interval();
    const intervals = Math.max(1, Math.round(TOTAL_ROWS / INSERT_ROWS));
    const rows = intervals * INSERT_ROWS;
    await run(null, records, 0, 3, false); // warm up the JIT
    const build = await measure(rows, () => run(null, records, 0, intervals, false));
    await run(storage, records, 0, 2, false); // warm up the engine
    const sequential = await measure(rows, () => run(storage, records, 2, intervals, false));
    const pipelined = await measure(rows, () => run(storage, records, 2 + intervals, intervals, true));
    const counts = await storedCounts(storage);
    const engine = await engineOnly(storage, records, intervals, rows);

    console.log(
      JSON.stringify(
        {
          cpu: cpus()[0]?.model ?? 'unknown',
          cores: cpus().length,
          datapoints: rows,
          insertRows: INSERT_ROWS,
          build: { ...build, microsecondsPerDatapoint: Number((1e6 / build.datapointsPerSecond).toFixed(3)) },
          sequential,
          pipelined,
          engineOnly: engine,
          stored: counts,
          target: TARGET_PER_SECOND,
          meetsTarget:
            Math.max(sequential.datapointsPerSecond, pipelined.datapointsPerSecond) >= TARGET_PER_SECOND,
        },
        null,
        2,
      ),
    );
  } finally {
    await storage.close();
    if (process.env.BENCH_DATA_DIR === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
