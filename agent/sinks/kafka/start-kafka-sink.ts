import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { CorralConfig } from '../../../lib/config/schema.js';
import { kafkaClientSettings } from '../../../lib/kafka/client-config.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { collectedCounter, collectedGauge } from '../../../lib/metrics/collected.js';
import { SchemaRegistryError } from '../../../lib/wire/confluent.js';
import { registryClient } from '../../../lib/wire/registry-client.js';
import { AvroRecordEncoder } from './avro-encoder.js';
import { KafkaSink } from './kafka-sink.js';
import { AgentProducer } from './producer.js';
import { Spool } from './spool/spool.js';
import { confluentWriters, singleObjectWriters, type WireWriters } from './wire-writers.js';

/** Spool segments: small enough that dropping the oldest loses little, large enough to be few. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
/** Schema registration attempts at start (a registry restarting with the agent gets ~30 s). */
const REGISTER_ATTEMPTS = 6;

/**
 * The wire format's encoders. With a registry, the schemas are registered before anything is
 * spooled (a message names its schema id); a registry still unreachable after the retries
 * stops the agent with the reason, since nothing could be encoded.
 */
async function wireWriters(config: CorralConfig, logger: Logger): Promise<WireWriters> {
  const k = config.kafka;
  if (k.schemaRegistryUrl === '') return singleObjectWriters();
  const registry = registryClient(k.schemaRegistryUrl, Math.min(k.requestTimeout, 10_000));
  for (let attempt = 1; ; attempt++) {
    try {
      return await confluentWriters(registry, k.topicPrefix);
    } catch (error) {
      // A registry that answered 4xx (credentials, an incompatible schema) will not change its mind.
      const transient =
        !(error instanceof SchemaRegistryError) || error.status === undefined || error.status >= 500;
      if (!transient || attempt >= REGISTER_ATTEMPTS)
        throw new Error(`kafka.schemaRegistryUrl: cannot register the schemas: ${(error as Error).message}`, {
          cause: error,
        });
      const delayMs = 500 * 2 ** (attempt - 1);
      logger.warn({ reason: (error as Error).message, retryInMs: delayMs }, 'schema registration failed');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** The Kafka sink as configured: its spool opened (a previous run's records replay first). */
export async function startKafkaSink(
  config: CorralConfig,
  registry: Registry,
  logger: Logger,
  log: RateLimitedLog,
): Promise<KafkaSink> {
  const k = config.kafka;
  const host = hostname();
  const writers = await wireWriters(config, logger);
  const dropped = { full: 0, corrupt: 0 };
  const spool = await Spool.open({
    dir: k.spoolDir,
    maxBytes: k.spoolMaxBytes,
    segmentBytes: Math.min(SEGMENT_BYTES, Math.floor(k.spoolMaxBytes / 4)),
    fsync: k.spoolFsync,
    logger: logger.child({ component: 'spool' }),
    onDrop: (reason, records) => {
      dropped[reason] += records;
      log.warn(`spool_drop_${reason}`, { reason, records }, 'spooled batches dropped');
    },
  });
  const producer = new AgentProducer({
    ...kafkaClientSettings(k, `corral-agent-${host}`),
    transactionalId: `corral-agent-${host}`,
    compression: k.compression,
  });
  const encoder = new AvroRecordEncoder(
    { topicPrefix: k.topicPrefix, agentId: host, hostname: host },
    writers,
  );
  const sink = new KafkaSink(spool, encoder, producer, log);
  registerKafkaSinkMetrics(registry, sink, spool, dropped);
  logger.info(
    { brokers: k.brokers, wireFormat: writers.format, spool: k.spoolDir, spooled: spool.stats.records },
    'Kafka sink',
  );
  return sink;
}

function registerKafkaSinkMetrics(
  registry: Registry,
  sink: KafkaSink,
  spool: Spool,
  dropped: Record<'full' | 'corrupt', number>,
): void {
  const counter = (name: string, help: string, value: () => number) =>
    collectedCounter(registry, name, help, value);
  const gauge = (name: string, help: string, value: () => number) =>
    collectedGauge(registry, name, help, value);
  counter('corral_kafka_records_sent_total', 'Records Kafka acknowledged.', () => sink.stats.sent);
  counter(
    'corral_kafka_send_failures_total',
    'Produce requests that failed (their records stay spooled).',
    () => sink.stats.sendFailures,
  );
  gauge(
    'corral_kafka_produce_latency_seconds',
    'Latency of the last successful produce request.',
    () => sink.stats.lastSendMs / 1000,
  );
  counter(
    'corral_kafka_encode_errors_total',
    'Batches that could not be encoded.',
    () => sink.stats.encodeErrors,
  );
  gauge('corral_spool_bytes', 'Bytes of the spool segment files on disk.', () => spool.stats.bytes);
  gauge(
    'corral_spool_records',
    'Records spooled and not yet acknowledged by Kafka.',
    () => spool.stats.records,
  );
  new Counter({
    name: 'corral_spool_dropped_records_total',
    help: 'Spooled records lost: full (the oldest segment made room) or corrupt (unreadable on disk).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'full' }, dropped.full);
      this.inc({ reason: 'corrupt' }, dropped.corrupt);
    },
  });
  new Counter({
    name: 'corral_spool_dropped_bytes_total',
    help: 'Bytes of spooled records lost (framing included), by the same reasons as the records.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const bytes = spool.stats.droppedBytes;
      this.inc({ reason: 'full' }, bytes.full);
      this.inc({ reason: 'corrupt' }, bytes.corrupt);
    },
  });
}
