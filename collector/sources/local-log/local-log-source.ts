/**
 * The collector's source under `corral start`: each topic of the in-process log is one
 * partition, read in order and handed to the same Pipeline the Kafka consumer feeds. Offsets
 * are spool positions (positionNumber), which a restart keeps; the pipeline's commit is the
 * spool's ack. So the delivery protocol (insert intents, dedup tokens, commit after insert)
 * is the Kafka one, and a record leaves the log only once it is stored.
 */
import type { Logger } from 'pino';
import type { LocalLog, LogPartition } from '../../../lib/local-log/local-log.js';
import { positionNumber } from '../../../lib/spool/position.js';
import type { SpoolEntry } from '../../../lib/spool/types.js';
import type { BatchControl, ConsumedBatch, ConsumedMessage, MoreAfter } from '../../pipeline/pipeline.js';
import type { BatchHandler } from '../kafka/consumer.js';
import type { ConsumerSource } from '../source.js';

type AppendWait = ReturnType<LocalLog['nextAppend']>;

export interface LocalLogSourceOptions {
  log: LocalLog;
  handler: BatchHandler;
  logger: Logger;
  /** Records handed to the pipeline at once, like one fetch. */
  fetchRecords?: number;
  /** Longest the stop waits for the log to be stored before leaving the rest to the next start. */
  drainTimeoutMs?: number;
  /**
   * The pipeline threw (a bug): reading stops on every topic, and the caller should exit. The
   * log keeps everything not stored, so the next start reads it again, as kafkajs's restart
   * from the committed offsets would.
   */
  onFatal?: (error: Error) => void;
}

/** A wake-up now and then, in case an append is missed between a peek and the wait. */
const IDLE_POLL_MS = 1000;
// A flush of a busy agent is hundreds of records: read it whole, not in two rounds of batchInterval.
const DEFAULT_FETCH_RECORDS = 5000;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
const FETCH_BYTES = 16 * 1024 * 1024;

export class LocalLogSource implements ConsumerSource {
  readonly notConnectedReason = 'not reading the local log';
  private stopping = false;
  private running = false;
  private failed = false;
  private loops: Promise<void>[] = [];
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly options: LocalLogSourceOptions) {}

  /** Reading the log (readiness): from start until stop. */
  get connected(): boolean {
    return this.running && !this.stopping && !this.failed;
  }

  async start(): Promise<void> {
    this.options.handler.reset();
    this.running = true;
    this.loops = this.options.log.topics.map((partition) => this.consume(partition));
  }

  /**
   * Stores what the log holds (the agent's last flush included) and stops; whatever cannot be
   * stored within the drain timeout (storage down) stays in the log for the next start.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    await Promise.all(this.loops);
    this.running = false;
  }

  private async consume(partition: LogPartition): Promise<void> {
    const { handler, logger } = this.options;
    const fetchRecords = this.options.fetchRecords ?? DEFAULT_FETCH_RECORDS;
    const reader = new PartitionReader(partition);
    let stopDeadline: number | undefined;
    while (!this.failed) {
      if (this.stopping) {
        stopDeadline ??= Date.now() + (this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
        if (Date.now() > stopDeadline) break;
      }
      const next = this.options.log.nextAppend(partition.topic);
      const entries = await reader.read(fetchRecords);
      if (entries.length === 0) {
        if (this.stopping) break;
        await this.idle(next);
        continue;
      }
      const batch = reader.batch(entries);
      try {
        await handler.handle(
          batch,
          reader.control(
            () => !this.stopping,
            () => this.options.log.nextAppend(partition.topic),
          ),
        );
      } catch (error) {
        // Every topic stops: the pipeline's state is shared, and resetting it under the other
        // topics' feet could acknowledge records it dropped. What is not stored stays in the log.
        logger.error({ err: error, topic: partition.topic }, 'local log consumer failed');
        this.failed = true;
        for (const wake of this.wakeups) wake();
        this.options.onFatal?.(error as Error);
        break;
      }
      // Stopping, caught up, and still something not stored: storage is down; leave it for next time.
      if (this.stopping && batch.fetchedUpTo >= batch.highWatermark && reader.unacknowledged > 0) break;
    }
  }

  private async idle(next: { promise: Promise<void>; wake: () => void }): Promise<void> {
    const timer = setTimeout(next.wake, IDLE_POLL_MS);
    this.wakeups.add(next.wake);
    try {
      await next.promise;
    } finally {
      clearTimeout(timer);
      this.wakeups.delete(next.wake);
    }
  }
}

/** One topic's reading position: what was handed out, what is still to be acknowledged. */
class PartitionReader {
  /** Handed to the pipeline and not yet acknowledged, oldest first. */
  private pending: SpoolEntry[] = [];
  private last: SpoolEntry | undefined;

  constructor(private readonly partition: LogPartition) {}

  get unacknowledged(): number {
    return this.pending.length;
  }

  read(max: number): Promise<SpoolEntry[]> {
    return this.partition.spool.peek(max, FETCH_BYTES, this.last).then((entries) => {
      this.pending.push(...entries);
      this.last = entries.at(-1) ?? this.last;
      return entries;
    });
  }

  batch(entries: readonly SpoolEntry[]): ConsumedBatch {
    const first = positionNumber(entries[0]!.position);
    const fetchedUpTo = positionNumber(entries.at(-1)!.position) + 1n;
    const behind = this.holdsMore;
    return {
      topic: this.partition.topic,
      partition: this.partition.partition,
      messages: entries.map(message),
      fetchedOffset: first,
      fetchedUpTo,
      highWatermark: behind ? fetchedUpTo + 1n : fetchedUpTo,
    };
  }

  control(isRunning: () => boolean, nextAppend: () => AppendWait): BatchControl {
    return {
      heartbeat: () => Promise.resolve(),
      isRunning,
      resolveOffset: () => {},
      commit: (_topic, _partition, offset) => this.commit(offset),
      awaitMore: (_topic, _partition, _offset, ms) => this.awaitMore(nextAppend, ms),
    };
  }

  /** More than was handed out: at once if the log holds it, else at the next append within `ms`. */
  private async awaitMore(nextAppend: () => AppendWait, ms: number): Promise<MoreAfter> {
    const next = nextAppend();
    const timer = setTimeout(next.wake, ms);
    if (this.holdsMore) next.wake();
    try {
      await next.promise;
    } finally {
      clearTimeout(timer);
    }
    return this.holdsMore ? 'more' : 'quiet';
  }

  /** The log holds records beyond those handed out. */
  private get holdsMore(): boolean {
    return this.partition.spool.stats.records > this.pending.length;
  }

  /** Acknowledges every entry before `offset` (one past the last stored). */
  private async commit(offset: bigint): Promise<void> {
    let upTo: SpoolEntry | undefined;
    let count = 0;
    while (count < this.pending.length && positionNumber(this.pending[count]!.position) < offset) {
      upTo = this.pending[count];
      count++;
    }
    if (upTo === undefined) return;
    await this.partition.spool.ack(upTo);
    this.pending.splice(0, count);
  }
}

function message(entry: SpoolEntry): ConsumedMessage {
  return {
    offset: positionNumber(entry.position).toString(),
    key: entry.key,
    // The Kafka sink sends an empty value as Kafka's null (a tombstone); so does the log.
    value: entry.value.length === 0 ? null : entry.value,
    timestamp: String(entry.timeMs),
  };
}
