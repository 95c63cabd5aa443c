/**
 * npm run bench:collector (second of its two benchmarks)
 *
 * Sustained throughput of the real collector (`corral collector`, its own process) from Kafka
 * to ClickHouse: a backlog of realistic metric batches is put on the metrics topic of the test
 * broker (librdkafka's mock cluster, test/helpers/kafka-broker/) first, gzip-compressed as the
 * agent sends them; then the collector drains it into embedded ClickHouse (and, with
 * CLICKHOUSE_URL set, into that server too). Each batch is one container's flush: 500
 * datapoints, each its own series (counters with rates, gauges, sets, timers with 4
 * percentiles, 3 tags), shared dimensions with labels; 200 containers per 10 s interval.
 *
 * Prints JSON: datapoints/s over the whole drain (from the group join to the last datapoint
 * stored) and over its steady part (from a fifth stored to the end, after the chunks first
 * filled up), the insert size, the collector's CPU seconds per second and peak RSS, and a check by SQL that
 * every datapoint sent was stored exactly once.
 * Target: >= 500,000 datapoints/s into embedded ClickHouse.
 *   BENCH_DATAPOINTS   backlog size (default 2,000,000)
 *   BENCH_BATCH_ROWS   collector.batchRows (default 100,000, the collector's default)
 *   BENCH_BATCH_INTERVAL  collector.batchInterval (default 1s, the collector's default)
 *   BENCH_PARTITIONS   partitions of the metrics topic (default 12)
 *   BENCH_BROKERS      brokers in the mock cluster, the partitions' leaders spread over them
 *                      (default 3: the consumer fetches from each broker on its own)
 *   BENCH_CPU_PROFILE  a directory for V8 CPU profiles of the collector process
 *   CLICKHOUSE_URL     also run against this server (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import type { MetricBatch } from '../../lib/wire/datapoint-codec.js';
import { singleObjectMetricBatchWriter } from '../../lib/wire/single-object.js';
import { queryDataDir, startCollector } from '../../test/helpers/collector-process.js';
import { type KafkaBroker, startKafkaBroker } from '../../test/helpers/kafka-broker/index.js';
import { clusterContainerDimensions } from '../shared/cluster-containers.js';
import { mockBrokerCpuSeconds, processUsage } from '../shared/process-usage.js';
import { realisticDatapoints } from '../shared/realistic-datapoints.js';

const TOTAL = Number(process.env.BENCH_DATAPOINTS ?? 2_000_000);
const BATCH_ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 100_000);
const TARGET_PER_SECOND = 500_000;
const DATAPOINTS_PER_BATCH = 500;
const CONTAINERS = 200;
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const BROKERS = Number(process.env.BENCH_BROKERS ?? 3);
const BATCH_INTERVAL = process.env.BENCH_BATCH_INTERVAL ?? '1s';
const INTERVAL_MS = 10_000;
const PREFIX = 'corral.';
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
// Recent enough for every TTL.
const START_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

/** Puts the backlog on the metrics topic, one message per container and interval; returns datapoints sent. */
async function produceBacklog(broker: KafkaBroker): Promise<number> {
  const kafka = new Kafka({
    clientId: 'corral-bench',
    brokers: broker.bootstrap,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const writer = singleObjectMetricBatchWriter();
  const intervals = Math.max(1, Math.round(TOTAL / (CONTAINERS * DATAPOINTS_PER_BATCH)));
  let sent = 0;
  try {
    for (let n = 0; n < intervals; n++) {
      const messages: Message[] = [];
      for (let c = 0; c < CONTAINERS; c++) {
        const dimensions = clusterContainerDimensions(c);
        const timeMs = START_MS + n * INTERVAL_MS;
        const batch: MetricBatch = {
          agentId: dimensions.agent_id!,
          hostname: dimensions.hostname!,
          sentMs: timeMs,
          batchId: `bench-${n}-${c}`,
          dimensions,
          datapoints: realisticDatapoints({
            count: DATAPOINTS_PER_BATCH,
            timeMs,
            containerId: dimensions.container_id,
            dimensions,
            seed: n * CONTAINERS + c,
          }),
        };
        messages.push({ key: dimensions.container_id!, value: writer.encode(batch) });
        sent += DATAPOINTS_PER_BATCH;
      }
      await producer.send({
        topic: `${PREFIX}metrics`,
        messages,
        acks: -1,
        compression: CompressionTypes.GZIP,
      });
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** A sample of the collector's /metrics. */
async function collectorMetric(httpBase: string, sample: string): Promise<number> {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const escaped = sample.replace(/[{}"]/g, (c) => `\\${c}`);
  const line = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return Number(line?.[1] ?? 0);
}

const storedSoFar = (httpBase: string) =>
  collectorMetric(httpBase, 'corral_collector_datapoints_stored_total');

/** Inserts into datapoints: how many, their mean rows and seconds. */
async function datapointInserts(httpBase: string) {
  const inserts = await collectorMetric(
    httpBase,
    'corral_collector_insert_duration_seconds_count{table="datapoints"}',
  );
  const seconds = await collectorMetric(
    httpBase,
    'corral_collector_insert_duration_seconds_sum{table="datapoints"}',
  );
  const rows = await collectorMetric(httpBase, 'corral_collector_rows_inserted_total{table="datapoints"}');
  return {
    count: inserts,
    meanRows: Math.round(rows / inserts),
    meanSeconds: Number((seconds / inserts).toFixed(3)),
  };
}

interface Run {
  storage: 'embedded' | 'server';
  datapointsPerSecond: number;
  steadyDatapointsPerSecond: number;
  seconds: number;
  collectorCpuPerSecond: number;
  collectorPeakRssMb: number;
  brokerCpuPerSecond: number;
  datapointInserts: { count: number; meanRows: number; meanSeconds: number };
  stored: { datapoints: number; distinctSeriesTimes: number; lost: number; duplicates: number };
}

async function drain(
  broker: KafkaBroker,
  sent: number,
  storage: 'embedded' | 'server',
  run: number,
): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'corral-bench-collector-'));
  const server =
    storage === 'server'
      ? [
          '--collector-storage',
          'server',
          '--collector-clickhouse-url',
          process.env.CLICKHOUSE_URL!,
          '--collector-clickhouse-user',
          process.env.CLICKHOUSE_USER ?? 'default',
        ]
      : [];
  const passwordFile = join(dataDir, 'password');
  writeFileSync(passwordFile, process.env.CLICKHOUSE_PASSWORD ?? '');
  const database = `corral_bench_${process.pid}_${run}`;
  try {
    const collector = await startCollector({
      brokers: broker.bootstrap,
      topicPrefix: PREFIX,
      dataDir: join(dataDir, 'clickhouse'),
      groupId: `bench-${run}`,
      ...(PROFILE_DIR === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] }),
      args: [
        '--collector-batch-rows',
        String(BATCH_ROWS),
        '--collector-batch-interval',
        BATCH_INTERVAL,
        '--collector-database',
        database,
        ...server,
        ...(storage === 'server' ? ['--collector-clickhouse-password-file', passwordFile] : []),
      ],
    });
    const joined = performance.now();
    const usageAtJoin = processUsage(collector.child.pid!);
    let first: { at: number; stored: number; cpu: number; brokerCpu: number } | undefined;
    let stored = 0;
    while (stored < sent) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await storedSoFar(collector.httpBase);
      if (first === undefined && stored >= sent / 5)
        first = {
          at: performance.now(),
          stored,
          cpu: processUsage(collector.child.pid!).cpuSeconds,
          brokerCpu: mockBrokerCpuSeconds(),
        };
      if (collector.child.exitCode !== null) throw new Error('the collector exited');
    }
    const done = performance.now();
    const usage = processUsage(collector.child.pid!);
    const brokerCpu = mockBrokerCpuSeconds();
    const inserts = await datapointInserts(collector.httpBase);
    await collector.stop();
    // The steady part: CPU is measured over it.
    const seconds = (done - first!.at) / 1000;
    const counts = await countStored(storage, dataDir, database);
    return {
      storage,
      datapointsPerSecond: Math.round(sent / ((done - joined) / 1000)),
      steadyDatapointsPerSecond: Math.round((sent - first!.stored) / seconds),
      seconds: Number(((done - joined) / 1000).toFixed(2)),
      collectorCpuPerSecond: Number(((usage.cpuSeconds - first!.cpu) / seconds).toFixed(2)),
      collectorPeakRssMb: Math.max(usage.peakRssMb, usageAtJoin.peakRssMb),
      // The brokers serve the fetches from the same cores.
      brokerCpuPerSecond: Number(((brokerCpu - first!.brokerCpu) / seconds).toFixed(2)),
      datapointInserts: inserts,
      stored: {
        ...counts,
        lost: sent - counts.distinctSeriesTimes,
        duplicates: counts.datapoints - counts.distinctSeriesTimes,
      },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Datapoints and timer summaries stored, and how many distinct (series, time) pairs they are;
 * the collector's own metrics (collector/sources/self/, names corral_*) are not the backlog.
 */
async function countStored(storage: 'embedded' | 'server', dataDir: string, database: string) {
  const backlog = "NOT startsWith(name, 'corral_')";
  const sql = `SELECT
      (SELECT count() FROM datapoints WHERE ${backlog}) + (SELECT count() FROM timer_summaries) AS datapoints,
      (SELECT uniqExact(series, time) FROM datapoints WHERE ${backlog})
        + (SELECT uniqExact(series, time) FROM timer_summaries) AS distinct_pairs`;
  let row: { datapoints: string; distinct_pairs: string } | undefined;
  if (storage === 'embedded') {
    [row] = await queryDataDir<{ datapoints: string; distinct_pairs: string }>(
      join(dataDir, 'clickhouse'),
      sql,
      database,
    );
  } else {
    const { createClient } = await import('@clickhouse/client');
    const client = createClient({
      url: process.env.CLICKHOUSE_URL!,
      username: process.env.CLICKHOUSE_USER ?? 'default',
      password: process.env.CLICKHOUSE_PASSWORD ?? '',
      database,
    });
    try {
      [row] = await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{
        datapoints: string;
        distinct_pairs: string;
      }>();
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    } finally {
      await client.close();
    }
  }
  return { datapoints: Number(row?.datapoints), distinctSeriesTimes: Number(row?.distinct_pairs) };
}

async function main(): Promise<void> {
  const broker = await startKafkaBroker({ brokers: BROKERS });
  try {
    for (const topic of ['metrics', 'events', 'metadata'])
      await broker.createTopic(`${PREFIX}${topic}`, topic === 'metrics' ? PARTITIONS : 1, 1);
    const producing = performance.now();
    const sent = await produceBacklog(broker);
    const produceSeconds = (performance.now() - producing) / 1000;
    const runs = [await drain(broker, sent, 'embedded', 1)];
    if (process.env.CLICKHOUSE_URL) runs.push(await drain(broker, sent, 'server', 2));
    const embedded = runs[0]!;
    console.log(
      JSON.stringify(
        {
          cpu: cpus()[0]?.model ?? 'unknown',
          cores: cpus().length,
          datapoints: sent,
          brokers: BROKERS,
          partitions: PARTITIONS,
          batchRows: BATCH_ROWS,
          batchInterval: BATCH_INTERVAL,
          backlogProducedInSeconds: Number(produceSeconds.toFixed(1)),
          runs,
          target: TARGET_PER_SECOND,
          meetsTarget: embedded.datapointsPerSecond >= TARGET_PER_SECOND,
        },
        null,
        2,
      ),
    );
  } finally {
    await broker.stop();
  }
}

await main();
