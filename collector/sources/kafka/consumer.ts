/**
 * The collector's kafkajs consumer: one group (collector.groupId) over the metrics, events and
 * metadata topics, whose partitions the group's collectors share. Offsets are never committed
 * by kafkajs (autoCommit off, nothing auto-resolved): the pipeline commits a partition's
 * offset once the chunk ending there is stored (collector/pipeline/pipeline.ts).
 */
import { type Batch, type Consumer, type EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { type KafkaClientSettings, kafkaConfig } from '../../../lib/kafka/client-config.js';
import { registerKafkaCodecs } from '../../../lib/kafka/compression.js';
import type { BatchControl, ConsumedBatch } from '../../pipeline/pipeline.js';
import type { ConsumerSource } from '../source.js';
import { EndOffsetWatch } from './end-offsets.js';

/** What consumed batches go to. */
export interface BatchHandler {
  handle(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  /** The group was (re)joined: fetching restarts from the committed offsets. */
  reset(): void;
}

export interface KafkaSourceOptions {
  client: KafkaClientSettings;
  groupId: string;
  /**
   * A member that stops heartbeating is replaced after this long (collector.sessionTimeout):
   * shorter moves a crashed collector's partitions on sooner, longer rides out pauses.
   */
  sessionTimeoutMs: number;
  topics: readonly string[];
  handler: BatchHandler;
  logger: Logger;
  /** The consumer gave up for good: kafkajs would not restart it, and the restart budget is spent. */
  onFatal?: (error: Error) => void;
  /** The consumer was started again after a crash kafkajs would not restart from. */
  onRestart?: () => void;
}

/** Heartbeats per session timeout, as Kafka advises (a third of it at most). */
const HEARTBEATS_PER_SESSION = 3;
/** Longest a fetch waits for new messages on caught-up partitions. */
const MAX_FETCH_WAIT_MS = 500;
/**
 * Bytes a fetch takes per partition and in all (kafkajs: 1 MiB and 10 MiB). A busy agent's
 * flush is several MiB on one partition (its node-level StatsD series share a key); at 1 MiB
 * it took six fetch rounds, each held up by the other partitions' writes.
 */
const MAX_FETCH_BYTES_PER_PARTITION = 8 * 1024 * 1024;
const MAX_FETCH_BYTES = 32 * 1024 * 1024;
/**
 * Partitions handled at once: a caught-up partition's handler waits for more (batchIdle) or for
 * its chunk to be due, and partitions waiting together take one wait, not one each.
 */
const PARTITIONS_AT_ONCE = 32;
/**
 * Crashes kafkajs does not restart from (a non-retriable error: a coordinator that refused a
 * SyncGroup, say) are restarted here, a rejoin of the group, at most this many times within
 * RESTART_WINDOW_MS; past that the collector gives up (onFatal) and its supervisor takes over.
 */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 5 * 60_000;
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** Errors a rejoin cannot mend: credentials and permissions. */
const NOT_RESTARTABLE =
  /SASL|authenticat|AUTHORIZATION_FAILED|UNSUPPORTED_SASL|ILLEGAL_SASL|INVALID_(?:CONFIG|TOPIC)/i;

export class KafkaSource implements ConsumerSource {
  readonly notConnectedReason = 'not in the Kafka consumer group';
  private readonly consumer: Consumer;
  private readonly endOffsets: EndOffsetWatch;
  private joined = false;
  private stopped = false;
  /** When the restarts of the last RESTART_WINDOW_MS happened. */
  private restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KafkaSourceOptions) {
    registerKafkaCodecs();
    // Retries bridge broker blips; a consumer that exhausts them is restarted by kafkajs.
    const kafka = new Kafka(
      kafkaConfig(options.client, { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 }),
    );
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(options.sessionTimeoutMs / HEARTBEATS_PER_SESSION),
      maxWaitTimeInMs: MAX_FETCH_WAIT_MS,
      maxBytesPerPartition: MAX_FETCH_BYTES_PER_PARTITION,
      maxBytes: MAX_FETCH_BYTES,
      allowAutoTopicCreation: false,
      // Aborted transactions (an agent's failed send, which it sends again) are not read.
      readUncommitted: false,
    });
    // No retries: a read that fails is simply not an answer (awaitMore says 'unknown').
    this.endOffsets = new EndOffsetWatch(new Kafka(kafkaConfig(options.client, { retries: 0 })).admin());
    this.watch();
  }

  /** In the group with partitions to read (readiness). */
  get connected(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { consumer, options } = this;
    await consumer.connect();
    // A new group starts at the beginning: what agents sent before the first collector ran is kept.
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: (payload) =>
        options.handler.handle(consumedBatch(payload.batch), control(payload, this.endOffsets)),
    });
  }

  /** Waits for the batches being handled (their chunks written and committed), then leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.consumer.disconnect();
    await this.endOffsets.close();
    this.joined = false;
  }

  /**
   * After a crash kafkajs does not restart from: start again (rejoin the group, resume from the
   * committed offsets) after a growing delay, unless the error is one a rejoin cannot mend or
   * the budget is spent; then it is fatal.
   */
  private crashed(error: Error): void {
    const { logger } = this.options;
    const now = performance.now();
    this.restartTimes = this.restartTimes.filter((at) => now - at < RESTART_WINDOW_MS);
    if (this.stopped) return;
    if (NOT_RESTARTABLE.test(`${error.name} ${error.message} ${describeCause(error)}`)) {
      this.options.onFatal?.(error);
      return;
    }
    if (this.restartTimes.length >= MAX_RESTARTS) {
      logger.error({ restarts: this.restartTimes.length }, 'Kafka consumer keeps crashing; giving up');
      this.options.onFatal?.(error);
      return;
    }
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** this.restartTimes.length);
    this.restartTimes.push(now);
    logger.warn({ delayMs, restarts: this.restartTimes.length }, 'restarting the Kafka consumer');
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.options.onRestart?.();
      this.start().catch((startError: unknown) =>
        this.crashed(startError instanceof Error ? startError : new Error(String(startError))),
      );
    }, delayMs);
  }

  private watch(): void {
    const { consumer, options } = this;
    const { logger } = options;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      options.handler.reset();
      this.joined = true;
      logger.info(
        { groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment },
        'joined the consumer group',
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      logger.error({ err: payload.error, restart: payload.restart }, 'Kafka consumer crashed');
      if (!payload.restart) this.crashed(payload.error);
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
  }
}

/** The messages of an error's causes (kafkajs wraps the protocol error that decides). */
function describeCause(error: Error): string {
  const parts: string[] = [];
  for (let cause: unknown = error.cause; cause instanceof Error && parts.length < 5; cause = cause.cause)
    parts.push(`${cause.name} ${cause.message} ${(cause as { type?: string }).type ?? ''}`);
  return `${(error as { type?: string }).type ?? ''} ${parts.join(' ')}`;
}

/** kafkajs's batch keeps the offset it fetched from, untyped. */
function fetchedOffset(batch: Batch): bigint {
  const fetched = (batch as Batch & { fetchedOffset?: string }).fetchedOffset;
  return BigInt(fetched ?? batch.firstOffset() ?? batch.lastOffset());
}

function consumedBatch(batch: Batch): ConsumedBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages,
    fetchedOffset: fetchedOffset(batch),
    fetchedUpTo: BigInt(batch.lastOffset()) + 1n,
    highWatermark: BigInt(batch.highWatermark),
  };
}

function control(payload: EachBatchPayload, endOffsets: EndOffsetWatch): BatchControl {
  return {
    awaitMore: (topic, partition, offset, ms) => endOffsets.awaitMore(topic, partition, offset, ms),
    heartbeat: payload.heartbeat,
    isRunning: payload.isRunning,
    resolveOffset: payload.resolveOffset,
    commit: (topic, partition, offset) =>
      payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: offset.toString() }] }],
      }),
  };
}
