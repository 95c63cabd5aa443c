import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CorralConfig } from '../lib/config/schema.js';
import { readBearerToken } from '../lib/http/bearer-token.js';
import { kafkaClientSettings } from '../lib/kafka/client-config.js';
import { compressionType, loadCompressionCodec } from '../lib/kafka/compression.js';
import { RateLimitedLog } from '../lib/log/rate-limited.js';
import { registryClient } from '../lib/wire/registry-client.js';
import { crashHook } from './fault-hook.js';
import { startCollectorHttp } from './http/server.js';
import { registerCollectorMetrics } from './metrics.js';
import { ChunkWriter } from './pipeline/chunk-writer.js';
import { InsertIntents } from './pipeline/intents.js';
import { Pipeline } from './pipeline/pipeline.js';
import { RecentBatches } from './pipeline/recent-batches.js';
import { PipelineStats } from './pipeline/stats.js';
import { openReadOnlyQuery, type QueryResult, type ReadOnlyQuery } from './query/read-only-query.js';
import { RowsBuilder } from './sinks/clickhouse/rows.js';
import { KafkaSource } from './sources/kafka/consumer.js';
import { DeadLetters, KafkaDeadLetterProducer } from './sources/kafka/dead-letter.js';
import { MessageDecoder } from './sources/kafka/decode.js';
import { collectorTopics } from './sources/kafka/topics.js';
import { startCollectorSelfMetrics } from './sources/self/self-metrics.js';
import type { CollectorTransport, ConsumerSource } from './sources/source.js';
import { type CollectorSettings, openStorage } from './storage/create-storage.js';
import type { Storage } from './storage/storage.js';
import { loadContainerMetadata, reloadContainerMetadata } from './transforms/enrich/container-metadata.js';
import { MetadataEnricher } from './transforms/enrich/metadata-enricher.js';

export interface RunningCollector {
  readonly registry: Registry;
  readonly stats: PipelineStats;
  /** Where the collector HTTP API listens, or null when it is off. */
  readonly httpAddress: AddressInfo | null;
  /** Finishes the chunk being written (insert and commit), leaves the group, closes the storage. */
  stop(): Promise<void>;
}

export interface RunCollectorOptions {
  /** Where the test hook is read from (fault-hook.ts). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The Kafka consumer failed for good; the caller should exit. */
  onFatal?: (error: Error) => void;
  /** Wraps the storage (tests inject failures). */
  wrapStorage?: (storage: Storage) => Storage;
  /** Read from this instead of Kafka (`corral start`'s in-process log). */
  transport?: CollectorTransport;
}

/** Storage readiness: a ping that takes longer than this counts as down. */
const PING_TIMEOUT_MS = 2000;

/** Storage (migrated), the dead-letter producer, the HTTP API, then the consumer group. */
export async function runCollector(
  config: CorralConfig,
  logger: Logger,
  options: RunCollectorOptions = {},
): Promise<RunningCollector> {
  const c = config.collector;
  const k = config.kafka;
  const log = new RateLimitedLog(logger);
  const afterDataInsert = crashHook(options.env ?? process.env);
  const topics = collectorTopics(k.topicPrefix, c.deadLetterTopic);
  // Files the settings name are read first: a bad one stops the collector before it does anything.
  const httpToken = c.http === null ? undefined : readBearerToken('collector.httpTokenFile', c.httpTokenFile);

  const opened = await openStorage(c);
  const storage = options.wrapStorage?.(opened.storage) ?? opened.storage;
  // What is open so far, closed in reverse order by stop() or when starting fails.
  const opens: (() => Promise<void> | void)[] = [() => storage.close()];
  const closeAll = async () => {
    for (const close of opens.splice(0).reverse()) await close();
  };
  try {
    logger.info(
      { storage: storage.kind, database: storage.database, migrationsApplied: opened.migrations.applied },
      'storage ready',
    );
    const enricher = new MetadataEnricher();
    const containers = await loadContainerMetadata(storage, enricher);
    const reload = reloadContainerMetadata(storage, enricher, log);
    opens.push(() => reload.stop());

    const client = kafkaClientSettings(k, `corral-collector-${hostname()}`);
    // Dead letters are written with kafka.compression: a codec that cannot load stops the start, naming it.
    if (options.transport?.deadLetters === undefined) await loadCompressionCodec(k.compression);
    const deadLetters = new DeadLetters(
      options.transport?.deadLetters ??
        new KafkaDeadLetterProducer(client, compressionType(k.compression), k.maxRequestBytes),
      topics.deadLetter,
      log,
    );
    opens.push(() => deadLetters.close());
    const registry = new Registry();
    const stats = new PipelineStats();
    const { observeInsert } = registerCollectorMetrics(registry, {
      stats,
      deadLetters: deadLetters.counts,
      enricher,
    });
    // The collector's own metrics, inserted straight into datapoints (component=collector).
    const selfMetrics = startCollectorSelfMetrics({ registry, storage, log });
    opens.push(() => selfMetrics.stop());
    const intents = new InsertIntents(storage);
    const pipeline = new Pipeline({
      topics,
      decoder: new MessageDecoder({
        topics,
        registry:
          k.schemaRegistryUrl === ''
            ? undefined
            : registryClient(k.schemaRegistryUrl, Math.min(k.requestTimeout, 10_000)),
      }),
      enricher,
      intents,
      writer: new ChunkWriter({
        storage,
        intents,
        deadLetters,
        stats,
        log,
        observeInsert,
        afterDataInsert,
        oneInsertAtATime: storage.kind === 'embedded',
      }),
      deadLetters,
      recentBatches: new RecentBatches(),
      newRows: () => new RowsBuilder(),
      stats,
      logger,
      log,
      batchRows: c.batchRows,
      batchIntervalMs: c.batchInterval,
      batchIdleMs: c.batchIdle,
      maxBufferedRows: c.maxBufferedRows,
    });
    const source: ConsumerSource =
      options.transport?.source(pipeline, logger) ??
      new KafkaSource({
        client,
        groupId: c.groupId,
        sessionTimeoutMs: c.sessionTimeout,
        topics: [topics.metrics, topics.events, topics.metadata],
        handler: pipeline,
        logger,
        onFatal: options.onFatal,
        onRestart: () => {
          stats.consumerRestarts++;
        },
      });

    // Every reason at once: an operator sees both a lost group and a storage outage.
    const notReady = async (): Promise<string[]> => {
      const reasons = source.connected ? [] : [source.notConnectedReason];
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          storage.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
          }),
        ]);
      } catch (error) {
        reasons.push(`storage: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      return reasons;
    };
    // Embedded only: a server is queried directly, under its own access control.
    const queries = lazyReadOnlyQuery(c);
    opens.push(() => queries.close());
    const http =
      c.http === null
        ? null
        : await startCollectorHttp({
            address: c.http,
            registry,
            logger,
            notReady,
            token: httpToken,
            query: storage.kind === 'embedded' ? queries.run : undefined,
          });
    if (http !== null) {
      opens.push(() => http.close());
      logger.info({ address: http.server.address() }, 'collector HTTP API listening');
    }
    // Stopping the consumer first lets the chunk being written finish (insert and commit).
    opens.push(() => source.stop());
    await source.start();
    const from =
      options.transport === undefined
        ? { brokers: k.brokers, groupId: c.groupId, deadLetterTopic: topics.deadLetter }
        : { from: 'in-process log', deadLetters: options.transport.deadLetterDestination };
    logger.info(
      { ...from, topics: [topics.metrics, topics.events, topics.metadata], knownContainers: containers },
      'collector consuming',
    );
    return {
      registry,
      stats,
      httpAddress: http === null ? null : (http.server.address() as AddressInfo),
      stop: closeAll,
    };
  } catch (error) {
    await closeAll().catch((closeError: unknown) =>
      logger.warn({ err: closeError }, 'cleanup after a failed start'),
    );
    throw error;
  }
}

/** The read-only query session, opened at the first query (most collectors never get one). */
function lazyReadOnlyQuery(settings: CollectorSettings): {
  run: (sql: string) => Promise<QueryResult>;
  close: () => Promise<void>;
} {
  let opened: Promise<ReadOnlyQuery> | undefined;
  return {
    run: async (sql) => {
      opened ??= openReadOnlyQuery(settings);
      opened.catch(() => {
        opened = undefined;
      });
      return (await opened).run(sql);
    },
    close: async () => {
      const session = await opened?.catch(() => undefined);
      await session?.close();
    },
  };
}
