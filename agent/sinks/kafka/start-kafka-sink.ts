import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CorralConfig } from '../../../lib/config/schema.js';
import { kafkaClientSettings } from '../../../lib/kafka/client-config.js';
import { loadCompressionCodec } from '../../../lib/kafka/compression.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { collectedCounter, collectedGauge } from '../../../lib/metrics/collected.js';
import { registerSpoolMetrics } from '../../../lib/spool/metrics.js';
import { openSpool } from '../../../lib/spool/open-spool.js';
import type { Spool } from '../../../lib/spool/spool.js';
import { SchemaRegistryError } from '../../../lib/wire/confluent.js';
import { registryClient } from '../../../lib/wire/registry-client.js';
import { AvroRecordEncoder } from './avro-encoder.js';
import { KafkaSink } from './kafka-sink.js';
import { AgentProducer } from './producer.js';
import { confluentWriters, singleObjectWriters, type WireWriters } from './wire-writers.js';

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
  await loadCompressionCodec(k.compression);
  const writers = await wireWriters(config, logger);
  const spool = await openSpool({
    dir: k.spoolDir,
    maxBytes: k.spoolMaxBytes,
    fsync: k.spoolFsync,
    logger,
    log,
  });
  const producer = new AgentProducer({
    ...kafkaClientSettings(k, `corral-agent-${host}`),
    transactionalId: `corral-agent-${host}`,
    compression: k.compression,
    maxRequestBytes: k.maxRequestBytes,
  });
  const encoder = new AvroRecordEncoder(
    { topicPrefix: k.topicPrefix, agentId: host, hostname: host },
    writers,
  );
  const sink = new KafkaSink(spool, encoder, producer, log);
  registerKafkaSinkMetrics(registry, sink, spool);
  logger.info(
    { brokers: k.brokers, wireFormat: writers.format, spool: k.spoolDir, spooled: spool.stats.records },
    'Kafka sink',
  );
  return sink;
}

function registerKafkaSinkMetrics(registry: Registry, sink: KafkaSink, spool: Spool): void {
  const counter = (name: string, help: string, value: () => number) =>
    collectedCounter(registry, name, help, value);
  const gauge = (name: string, help: string, value: () => number) =>
    collectedGauge(registry, name, help, value);
  counter('corral_kafka_records_sent_total', 'Records Kafka acknowledged.', () => sink.stats.sent);
  counter(
    'corral_kafka_bytes_sent_total',
    "Bytes of the records Kafka acknowledged: keys and values, before the producer's compression.",
    () => sink.stats.bytesSent,
  );
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
  counter('corral_kafka_encode_errors_total', 'Batches that could not be encoded.', () => sink.encodeErrors);
  registerSpoolMetrics(registry, () => [spool.stats]);
}
