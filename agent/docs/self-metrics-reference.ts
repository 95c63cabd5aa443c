/**
 * The self-metrics tables of docs/metrics.md, from the real registrations: each component's
 * register functions run against a fresh Registry with inert stand-ins for what they read
 * (their collect() callbacks never run: only names, types, labels and help are listed).
 */
import type { FastifyInstance } from 'fastify';
import { type MetricObject, Registry } from 'prom-client';
import { registerCollectorMetrics } from '../../collector/metrics.js';
import { PipelineStats } from '../../collector/pipeline/stats.js';
import { registerSelfMetricsMetrics } from '../../collector/sources/self/self-metrics.js';
import type { MetadataEnricher } from '../../collector/transforms/enrich/metadata-enricher.js';
import { requireBearerToken } from '../../lib/http/bearer-token.js';
import { HISTOGRAM_QUANTILES, unitOf } from '../../lib/metrics/registry-datapoints.js';
import { registerSpoolMetrics } from '../../lib/spool/metrics.js';
import { registerMetadataMetrics } from '../metadata/metrics.js';
import type { ContainerRegistry } from '../metadata/registry.js';
import type { MetadataService } from '../metadata/service.js';
import { registerScrapeMetrics } from '../pipelines/scrape-metrics.js';
import type { TimedAggregator } from '../pipelines/statsd-engine.js';
import type { ContainerPorts } from '../sources/statsd/container-ports/container-ports.js';
import { registerContainerPortMetrics, registerStatsdMetrics } from '../sources/statsd/metrics.js';
import { StatsdStats } from '../sources/statsd/stats.js';

/** A stand-in never read (collect() does not run when only the metric list is asked for). */
const inert = <T>(fields: object = {}) => fields as T;

/** The Kafka sink's metrics, registered inside start-kafka-sink.ts (not callable without a broker), and corral start's. */
const KAFKA_SINK_METRICS = [
  {
    name: 'corral_kafka_records_sent_total',
    type: 'counter',
    labels: [],
    help: 'Records Kafka acknowledged.',
  },
  {
    name: 'corral_kafka_bytes_sent_total',
    type: 'counter',
    labels: [],
    help: "Bytes of the records Kafka acknowledged: keys and values, before the producer's compression.",
  },
  {
    name: 'corral_kafka_send_failures_total',
    type: 'counter',
    labels: [],
    help: 'Produce requests that failed (their records stay spooled).',
  },
  {
    name: 'corral_kafka_produce_latency_seconds',
    type: 'gauge',
    labels: [],
    help: 'Latency of the last successful produce request.',
  },
  {
    name: 'corral_kafka_encode_errors_total',
    type: 'counter',
    labels: [],
    help: 'Batches that could not be encoded.',
  },
  // Registered by corral start (lib/cli/start.ts) in place of the Kafka sink's.
  {
    name: 'corral_local_log_encode_errors_total',
    type: 'counter',
    labels: [],
    help: 'Batches that could not be encoded for the in-process log (dropped).',
  },
] as const;

interface Row {
  name: string;
  type: string;
  labels: readonly string[];
  help: string;
}

const bearerToken = (registry: Registry) =>
  requireBearerToken(inert<FastifyInstance>({ addHook() {} }), 'docs', registry);

function rowsOf(registry: Registry): Row[] {
  return registry.getMetricsAsArray().map((m: MetricObject) => ({
    name: m.name,
    type: String(m.type),
    labels: (m as MetricObject & { labelNames?: readonly string[] }).labelNames ?? [],
    help: m.help,
  }));
}

export function agentSelfMetrics(): Row[] {
  const registry = new Registry();
  registerStatsdMetrics(registry, new StatsdStats(), inert<TimedAggregator>(), () => ({
    shared: null,
    container: null,
  }));
  registerContainerPortMetrics(registry, inert<ContainerPorts>());
  registerScrapeMetrics(registry, []);
  registerMetadataMetrics(registry, inert<MetadataService>({ provider: 'none' }), inert<ContainerRegistry>());
  registerSpoolMetrics(registry, () => []);
  bearerToken(registry);
  return [...rowsOf(registry), ...KAFKA_SINK_METRICS];
}

export function collectorSelfMetrics(): Row[] {
  const registry = new Registry();
  registerCollectorMetrics(registry, {
    stats: new PipelineStats(),
    deadLetters: new Map(),
    enricher: inert<MetadataEnricher>(),
  });
  registerSelfMetricsMetrics(registry, { inserts: 0, rows: 0, failures: 0, overruns: 0 });
  bearerToken(registry);
  return rowsOf(registry);
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** What a metric becomes in the datapoints table (lib/metrics/registry-datapoints.ts). */
function stored(row: Row): string {
  if (row.type === 'histogram') {
    const quantiles = HISTOGRAM_QUANTILES.map((q) => `\`_p${Math.round(q * 100)}\``).join(', ');
    return `\`_sum\`, \`_count\` counters; ${quantiles} gauges`;
  }
  return row.type === 'counter' ? 'counter' : 'gauge';
}

function table(title: string, rows: Row[]): string[] {
  return [
    title,
    '',
    '| metric | type | unit | labels | datapoints | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...[...rows]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(
        (r) =>
          `| \`${r.name}\` | ${r.type} | ${unitOf(r.name)} | ${r.labels.join(', ') || '-'} | ${stored(r)} | ${cell(r.help)} |`,
      ),
  ];
}

/** The two self-metrics tables, agent then collector. */
export function selfMetricsReference(): string {
  return [
    ...table('### Agent self-metrics (`self` source, component=agent)', agentSelfMetrics()),
    '',
    ...table('### Collector self-metrics (component=collector)', collectorSelfMetrics()),
  ].join('\n');
}
