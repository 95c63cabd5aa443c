/**
 * The collector's own Prometheus metrics, read every interval and inserted straight into the
 * datapoints table (not through Kafka), tagged component=collector and host, so dashboards and
 * alert rules on ClickHouse see the pipeline's health next to the metrics (README.md).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, type Registry } from 'prom-client';
import { AlignedTicker } from '../../../agent/pipelines/aligned-ticker.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { collectedCounter } from '../../../lib/metrics/collected.js';
import { RegistryDatapoints } from '../../../lib/metrics/registry-datapoints.js';
import { RowsBuilder } from '../../sinks/clickhouse/rows.js';
import type { Storage } from '../../storage/storage.js';

/** Every 10 s, on wall-clock multiples, like the agents' default intervals. */
export const SELF_METRICS_INTERVAL_MS = 10_000;

export interface CollectorSelfMetricsOptions {
  /** The collector's registry: read, and where this job's own counters are registered. */
  registry: Registry;
  storage: Storage;
  log: RateLimitedLog;
  intervalMs?: number;
  host?: string;
}

export interface CollectorSelfMetricsStats {
  /** Readings inserted. */
  inserts: number;
  /** Rows inserted. */
  rows: number;
  /** Readings whose insert failed (their rows are lost; the next reading goes on). */
  failures: number;
  /** Ticks skipped because the previous insert was still running. */
  overruns: number;
}

export interface RunningSelfMetrics {
  readonly stats: CollectorSelfMetricsStats;
  /** Reads and inserts once now, stamped timeMs (tests; the ticker calls it on every boundary). */
  collect(timeMs: number): Promise<void>;
  /** Stops the ticker and waits for an insert in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the job. Each reading is one insert per table with rows (datapoints only, today),
 * tried once: a failure is counted and logged (rate-limited) and never stops the collector.
 * Insert deduplication needs no intents here: the token names this process (a random id) and
 * the interval, so no other insert can carry it, and a failed insert is not retried, so
 * nothing is inserted twice. The worst case is one interval missing (its counter increases
 * lost, the next interval's are right).
 */
export function startCollectorSelfMetrics(options: CollectorSelfMetricsOptions): RunningSelfMetrics {
  const { registry, storage, log } = options;
  const host = options.host ?? hostname();
  const instance = randomUUID();
  const reader = new RegistryDatapoints(registry, { tags: { component: 'collector', host } });
  const rows = new RowsBuilder();
  const stats: CollectorSelfMetricsStats = { inserts: 0, rows: 0, failures: 0, overruns: 0 };
  registerSelfMetricsMetrics(registry, stats);

  const collect = async (timeMs: number): Promise<void> => {
    try {
      const datapoints = await reader.read(timeMs);
      rows.reset();
      rows.add({
        type: 'metrics',
        agentId: '',
        batchId: '',
        dimensions: Object.freeze({ hostname: host }),
        datapoints,
      });
      for (const payload of rows.payloads()) {
        await storage.insert(payload, { dedupToken: `self/${instance}/${timeMs}/${payload.table}` });
        stats.rows += payload.rows;
      }
      stats.inserts++;
    } catch (error) {
      stats.failures++;
      log.warn('self_metrics_failed', { err: error }, 'self-metrics insert failed; the interval is lost');
    } finally {
      rows.reset();
    }
  };

  let running: Promise<void> | null = null;
  const ticker = new AlignedTicker(options.intervalMs ?? SELF_METRICS_INTERVAL_MS, (boundary) => {
    if (running !== null) {
      stats.overruns++;
      return;
    }
    running = collect(boundary).finally(() => {
      running = null;
    });
  });
  ticker.start();
  return {
    stats,
    collect,
    async stop() {
      ticker.stop();
      await running;
    },
  };
}

/** The job's own counters (also rendered into docs/metrics.md). */
export function registerSelfMetricsMetrics(registry: Registry, stats: CollectorSelfMetricsStats): void {
  collectedCounter(
    registry,
    'corral_collector_self_metrics_rows_inserted_total',
    "Rows of the collector's own metrics inserted into datapoints (component=collector); not in corral_collector_rows_inserted_total.",
    () => stats.rows,
  );
  new Counter({
    name: 'corral_collector_self_metrics_failures_total',
    help: "Readings of the collector's own metrics not stored, by reason: insert (the insert failed, the interval is lost) or overrun (the previous insert was still running at the next interval).",
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'insert' }, stats.failures);
      this.inc({ reason: 'overrun' }, stats.overruns);
    },
  });
}
