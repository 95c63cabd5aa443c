/** The collector's self-metrics (corral_collector_*), read from the pipeline's counters at scrape time. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { collectedCounter, collectedGauge } from '../lib/metrics/collected.js';
import type { PoisonReason } from './model.js';
import type { PipelineStats } from './pipeline/stats.js';
import type { MetadataEnricher } from './transforms/enrich/metadata-enricher.js';

export interface CollectorMetricsSources {
  stats: PipelineStats;
  deadLetters: ReadonlyMap<PoisonReason, number>;
  enricher: MetadataEnricher;
}

/** Registers the metrics; returns the insert latency histogram for the chunk writer to observe. */
export function registerCollectorMetrics(
  registry: Registry,
  { stats, deadLetters, enricher }: CollectorMetricsSources,
): { observeInsert(table: string, seconds: number): void } {
  const counter = (name: string, help: string, value: () => number) =>
    collectedCounter(registry, name, help, value);
  const gauge = (name: string, help: string, value: () => number) =>
    collectedGauge(registry, name, help, value);
  new Counter({
    name: 'corral_collector_messages_consumed_total',
    help: 'Kafka messages consumed, by topic (metrics, events, metadata).',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [topic, count] of Object.entries(stats.consumed)) this.inc({ topic }, count);
    },
  });
  counter(
    'corral_collector_datapoints_stored_total',
    'Datapoints of the metric batches inserted (ranges inserted again after a crash included).',
    () => stats.datapointsStored,
  );
  new Counter({
    name: 'corral_collector_rows_inserted_total',
    help: 'Rows inserted, by table (ranges inserted again after a crash included; ClickHouse drops those).',
    labelNames: ['table'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [table, rows] of stats.rowsInserted) this.inc({ table }, rows);
    },
  });
  counter(
    'corral_collector_insert_failures_total',
    'Inserts (and insert_intents writes and lookups) that failed and were retried.',
    () => stats.insertFailures,
  );
  new Counter({
    name: 'corral_collector_dead_letters_total',
    help: 'Poison messages copied to the dead-letter topic, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of deadLetters) this.inc({ reason }, count);
    },
  });
  counter(
    'corral_collector_duplicate_batches_total',
    "Metric batches dropped as an agent's re-send of a batch stored lately.",
    () => stats.duplicatesDropped,
  );
  new Counter({
    name: 'corral_collector_chunk_writes_total',
    help: "Chunks written (one insert per table each), by why: idle (the partition went quiet for batchIdle), due (batchInterval), rows (batchRows), behind (a backlog's chunk at its age cap), buffer (maxBufferedRows), resumed, stopping.",
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(stats.chunkWrites)) this.inc({ reason }, count);
    },
  });
  counter('corral_collector_commits_total', 'Offset commits, one per chunk stored.', () => stats.commits);
  counter(
    'corral_collector_resumed_ranges_total',
    'Offset ranges found in insert_intents on taking a partition over, and inserted again with the same tokens.',
    () => stats.resumedRanges,
  );
  gauge(
    'corral_collector_buffered_rows',
    'Rows held in memory, waiting to be inserted.',
    () => stats.bufferedRows,
  );
  gauge(
    'corral_collector_known_containers',
    'Containers the enricher knows dimensions of.',
    () => enricher.size,
  );
  counter(
    'corral_collector_consumer_restarts_total',
    'Times the Kafka consumer was started again (a group rejoin) after a crash kafkajs does not restart from.',
    () => stats.consumerRestarts,
  );
  new Gauge({
    name: 'corral_collector_consumer_lag',
    help: "Messages behind each partition's high watermark, as of its last fetch.",
    labelNames: ['topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { topic, partition, lag } of stats.lag.values()) this.set({ topic, partition }, lag);
    },
  });
  new Gauge({
    name: 'corral_collector_committed_offset',
    help: 'The offset last committed for each partition (its rows are stored up to there).',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { topic, partition, offset } of stats.committed.values())
        this.set({ topic, partition }, Number(offset));
    },
  });
  const latency = new Histogram({
    name: 'corral_collector_insert_duration_seconds',
    help: 'Time an acknowledged insert took, by table.',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { observeInsert: (table, seconds) => latency.observe({ table }, seconds) };
}
