/**
 * Consumed batches -> per-partition chunks -> ClickHouse, at least once and without
 * duplicates (docs/delivery.md). Each partition accumulates decoded, deduplicated and enriched
 * records into a chunk covering the offsets [from, to), until collector.batchRows rows are
 * held or the chunk is collector.batchInterval old; then the chunk is written (ChunkWriter:
 * dead letters, intent, inserts with the range's tokens, commit of `to`).
 *
 * Every write happens inside kafkajs's eachBatch: kafkajs rejoins the group only once every
 * running eachBatch has returned, so a chunk is never written after its partition went to
 * another member. A partition that has caught up holds its batch until nothing new has
 * arrived for collector.batchIdle (a burst, such as an agent's flush, is over: write it now)
 * or its chunk is due; if more arrives meanwhile it returns to fetch it into the same chunk. A
 * partition still behind (its fetch stopped short of the high watermark: a backlog) returns
 * at once to fetch more, its chunk growing up to batchRows (or ten batchIntervals of age).
 * The rows held across partitions stay under collector.maxBufferedRows: beyond it chunks are
 * written early, and a storage outage holds the batch (and so all fetching) while the write
 * is retried.
 */
import type { Logger } from 'pino';
import type { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { CollectorRecord } from '../model.js';
import type { DeadLetters, PoisonMessage } from '../sources/kafka/dead-letter.js';
import type { MessageDecoder } from '../sources/kafka/decode.js';
import { type CollectorTopics, topicKind } from '../sources/kafka/topics.js';
import type { MetadataEnricher } from '../transforms/enrich/metadata-enricher.js';
import { Chunk, type ChunkRows } from './chunk.js';
import type { ChunkWriter } from './chunk-writer.js';
import type { InsertIntents } from './intents.js';
import { batchKey, type RecentBatches } from './recent-batches.js';
import { type GroupSession, keepingAlive, retrying, StoppingError, waitAlive } from './retry.js';
import { SerialLock } from './serial-lock.js';
import type { ChunkWriteReason, PipelineStats } from './stats.js';

/** A consumed message (kafkajs's KafkaMessage, the fields used). */
export interface ConsumedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: PoisonMessage['headers'];
  /** Milliseconds since the epoch, as a string. */
  timestamp: string;
}

/** One fetch's messages of one partition. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: readonly ConsumedMessage[];
  /** Where this fetch started: the committed offset, for a partition's first batch. */
  fetchedOffset: bigint;
  /** One past the last offset the fetch covered (control records and filtered messages included). */
  fetchedUpTo: bigint;
  highWatermark: bigint;
}

/** What a batch handler can do in the consumer group (kafkajs's eachBatch payload). */
export interface BatchControl extends GroupSession {
  /** Marks the message consumed: the next fetch starts after it. */
  resolveOffset(offset: string): void;
  /** Commits `offset` as the partition's next offset to read. */
  commit(topic: string, partition: number, offset: bigint): Promise<void>;
  /**
   * Waits up to `ms` for the partition to hold a message at or past `offset` (see MoreAfter).
   * A source that cannot tell leaves it out: caught-up chunks then wait to be due.
   */
  awaitMore?(topic: string, partition: number, offset: bigint, ms: number): Promise<MoreAfter>;
}

/** 'more' arrived; nothing did ('quiet'); or it could not be told ('unknown'). */
export type MoreAfter = 'more' | 'quiet' | 'unknown';

export interface PipelineOptions {
  topics: CollectorTopics;
  decoder: MessageDecoder;
  enricher: MetadataEnricher;
  intents: InsertIntents;
  writer: ChunkWriter;
  deadLetters: DeadLetters;
  recentBatches: RecentBatches;
  newRows: () => ChunkRows;
  stats: PipelineStats;
  logger: Logger;
  log: RateLimitedLog;
  batchRows: number;
  batchIntervalMs: number;
  /** A caught-up partition's chunk is written once nothing new arrived for this long (collector.batchIdle). */
  batchIdleMs: number;
  maxBufferedRows: number;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly lock: SerialLock;
  /** Where the next chunk starts; undefined until the partition's first batch since the last join. */
  nextFrom: bigint | undefined;
  /** The end the next chunk must have: a range recorded in insert_intents, being resumed. */
  target: bigint | undefined;
  chunk: Chunk | undefined;
}

/** A partition behind its high watermark writes its chunk at this many batchIntervals of age at the latest. */
const BEHIND_INTERVALS = 10;

/** How often a full buffer is looked at again while other partitions write. */
const ROOM_POLL_MS = 50;

export class Pipeline {
  private partitions = new Map<string, PartitionState>();
  /** Chunk writes in progress (they will free buffer room). */
  private writing = 0;

  constructor(private readonly options: PipelineOptions) {}

  /**
   * The group was joined (at start or after a rebalance): kafkajs fetches from the committed
   * offsets again, so what is buffered is dropped and each partition starts over, from its
   * intents.
   */
  reset(): void {
    this.partitions = new Map();
    this.options.stats.bufferedRows = 0;
    this.options.stats.lag.clear();
    this.options.stats.committed.clear();
  }

  /** Rows buffered in chunks, waiting to be inserted. */
  get bufferedRows(): number {
    return this.options.stats.bufferedRows;
  }

  async handle(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    const state = this.state(batch.topic, batch.partition);
    try {
      await state.lock.run(async () => {
        if (state.nextFrom === undefined) await this.begin(state, batch.fetchedOffset, control);
        for (const message of batch.messages) await this.consume(state, message, control);
        this.options.stats.lag.set(`${batch.topic}/${batch.partition}`, {
          topic: batch.topic,
          partition: batch.partition,
          lag: Number(batch.highWatermark - batch.fetchedUpTo),
        });
        await this.afterBatch(state, batch, control);
      });
    } catch (error) {
      // Stopping with storage down: what is not written is read again by the next run.
      if (!(error instanceof StoppingError)) throw error;
    }
  }

  private state(topic: string, partition: number): PartitionState {
    const key = `${topic}/${partition}`;
    let state = this.partitions.get(key);
    if (state === undefined) {
      state = {
        topic,
        partition,
        lock: new SerialLock(),
        nextFrom: undefined,
        target: undefined,
        chunk: undefined,
      };
      this.partitions.set(key, state);
    }
    return state;
  }

  /** A partition's first batch since the join: resume the range a previous owner recorded, if any. */
  private async begin(state: PartitionState, offset: bigint, control: BatchControl): Promise<void> {
    const { intents, stats, log, logger } = this.options;
    const range = await retrying(
      control,
      () => intents.covering(state.topic, state.partition, offset),
      (error, retryInMs) => {
        stats.insertFailures++;
        log.error(
          'intent_lookup_failed',
          { err: error, retryInMs },
          'insert_intents lookup failed; retrying',
        );
      },
    );
    state.nextFrom = range?.from ?? offset;
    state.target = range?.to;
    if (range !== undefined) {
      stats.resumedRanges++;
      logger.info(
        { topic: state.topic, partition: state.partition, from: String(range.from), to: String(range.to) },
        'resuming an insert range recorded before the last commit',
      );
    }
  }

  private async consume(
    state: PartitionState,
    message: ConsumedMessage,
    control: BatchControl,
  ): Promise<void> {
    const { decoder, enricher, deadLetters, stats } = this.options;
    const offset = BigInt(message.offset);
    // A resumed range ends before this message: write it as it was recorded.
    if (state.target !== undefined && offset >= state.target) await this.write(state, control, 'resumed');
    const decoded = await retrying(
      control,
      () => decoder.decode({ topic: state.topic, key: message.key, value: message.value }),
      (error, retryInMs) =>
        this.options.log.warn(
          'registry_unavailable',
          { err: error, retryInMs },
          'schema registry unavailable; retrying',
        ),
    );
    const kind = topicKind(this.options.topics, state.topic);
    if (kind !== undefined) stats.consumed[kind]++;
    if (decoded.ok) {
      await this.makeRoom(state, rowsOf(decoded.record), control);
      const chunk = this.chunkOf(state);
      const record = this.deduplicated(decoded.record, chunk);
      if (record !== undefined) {
        const before = chunk.rows.rows;
        chunk.rows.add(enricher.apply(record), Number(message.timestamp));
        this.buffered(chunk.rows.rows - before);
        if (record.type === 'metrics') chunk.datapoints += record.datapoints.length;
      }
    } else {
      const poison: PoisonMessage = {
        topic: state.topic,
        partition: state.partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers,
        timestamp: message.timestamp,
        reason: decoded.reason,
        detail: decoded.detail,
      };
      this.chunkOf(state).poison.push(poison);
      deadLetters.noted(poison);
    }
    const chunk = this.chunkOf(state);
    chunk.messages++;
    chunk.end = offset + 1n;
    control.resolveOffset(message.offset);
    if (chunk.target === undefined && chunk.rows.rows >= this.options.batchRows)
      await this.write(state, control, 'rows');
  }

  /** The record, or undefined for a metric batch stored lately (an agent's re-send). */
  private deduplicated(record: CollectorRecord, chunk: Chunk): CollectorRecord | undefined {
    if (record.type !== 'metrics') return record;
    const key = batchKey(record.agentId, record.batchId);
    if (this.options.recentBatches.has(key) || chunk.batchKeys.has(key)) {
      this.options.stats.duplicatesDropped++;
      return undefined;
    }
    chunk.batchKeys.add(key);
    return record;
  }

  private chunkOf(state: PartitionState): Chunk {
    if (state.chunk === undefined) {
      state.chunk = new Chunk(
        state.topic,
        state.partition,
        state.nextFrom!,
        this.options.newRows(),
        performance.now(),
        state.target,
      );
    }
    return state.chunk;
  }

  /** What to do once a batch is in: write the chunk, wait for it to be due, or fetch more. */
  private async afterBatch(
    state: PartitionState,
    batch: ConsumedBatch,
    control: BatchControl,
  ): Promise<void> {
    const chunk = state.chunk;
    if (chunk === undefined) return;
    const caughtUp = batch.fetchedUpTo >= batch.highWatermark;
    if (chunk.target !== undefined) {
      if (chunk.completeAt(batch.fetchedUpTo) || caughtUp) await this.write(state, control, 'resumed');
      return;
    }
    const age = performance.now() - chunk.startedAt;
    // Behind: fill the chunk up to batchRows (written as it gets there) for fewer, larger
    // inserts; the latency batchInterval bounds is lost to the lag anyway. Capped, so a
    // partition that stays a little behind still writes regularly.
    if (!caughtUp && age < this.options.batchIntervalMs * BEHIND_INTERVALS) return;
    let reason: ChunkWriteReason = caughtUp ? 'due' : 'behind';
    const dueIn = this.options.batchIntervalMs - age;
    if (dueIn > 0 && caughtUp) {
      try {
        const settled = await this.settle(batch, control, dueIn);
        if (settled === 'more') return;
        reason = settled;
      } catch (error) {
        // Stopping: write what is held now rather than have it read again.
        if (!(error instanceof StoppingError)) throw error;
        reason = 'stopping';
      }
    }
    await this.write(state, control, reason);
  }

  /**
   * A caught-up partition's wait before its chunk is written: 'more' when messages arrived
   * within batchIdle (fetch them into the chunk), 'idle' when none did (the burst is over),
   * 'due' once the chunk is due (`dueIn` ms). Without a source that can tell, the wait is `dueIn`.
   */
  private async settle(
    batch: ConsumedBatch,
    control: BatchControl,
    dueIn: number,
  ): Promise<'more' | 'idle' | 'due'> {
    const idleMs = this.options.batchIdleMs;
    if (control.awaitMore !== undefined && idleMs < dueIn) {
      if (!control.isRunning()) throw new StoppingError('the consumer is stopping');
      const started = performance.now();
      const more = await keepingAlive(control, () =>
        control.awaitMore!(batch.topic, batch.partition, batch.fetchedUpTo, idleMs),
      );
      if (more === 'more') return 'more';
      if (more === 'quiet') return 'idle';
      dueIn -= performance.now() - started;
    }
    if (dueIn > 0) await waitAlive(control, dueIn);
    return 'due';
  }

  /** Writes the partition's chunk (retrying until it is stored and committed) and starts the next. */
  private async write(state: PartitionState, control: BatchControl, reason: ChunkWriteReason): Promise<void> {
    const chunk = this.chunkOf(state);
    this.options.stats.chunkWrites[reason]++;
    this.writing++;
    try {
      await this.options.writer.write(chunk, control, () =>
        control.commit(chunk.topic, chunk.partition, chunk.to),
      );
    } finally {
      this.writing--;
    }
    for (const key of chunk.batchKeys) this.options.recentBatches.add(key);
    this.buffered(-chunk.rows.rows);
    state.chunk = undefined;
    state.nextFrom = chunk.to;
    state.target = undefined;
  }

  private buffered(delta: number): void {
    const stats = this.options.stats;
    stats.bufferedRows += delta;
    if (stats.bufferedRows > stats.maxBufferedRows) stats.maxBufferedRows = stats.bufferedRows;
  }

  /**
   * Writes chunks until `rows` more fit under collector.maxBufferedRows: this partition's own
   * first, else the largest idle one. A resumed range cannot end early; when nothing can be
   * written, the limit gives way rather than wait forever.
   */
  private async makeRoom(state: PartitionState, rows: number, control: BatchControl): Promise<void> {
    const limit = this.options.maxBufferedRows;
    while (this.bufferedRows > 0 && this.bufferedRows + rows > limit) {
      const own = state.chunk;
      if (own !== undefined && own.target === undefined && own.rows.rows > 0) {
        await this.write(state, control, 'buffer');
        continue;
      }
      const other = this.largestIdleChunk(state);
      if (other !== undefined) {
        await other.lock.run(async () => {
          if (other.chunk !== undefined && other.chunk.target === undefined)
            await this.write(other, control, 'buffer');
        });
        continue;
      }
      if (this.writing === 0) return;
      await waitAlive(control, ROOM_POLL_MS, false);
    }
  }

  private largestIdleChunk(except: PartitionState): PartitionState | undefined {
    let largest: PartitionState | undefined;
    for (const state of this.partitions.values()) {
      const chunk = state.chunk;
      if (state === except || state.lock.locked || chunk === undefined || chunk.target !== undefined)
        continue;
      if (chunk.rows.rows > 0 && (largest === undefined || chunk.rows.rows > largest.chunk!.rows.rows))
        largest = state;
    }
    return largest;
  }
}

/** About the rows a record adds (the RowsBuilder's count is exact once it is added). */
function rowsOf(record: CollectorRecord): number {
  return record.type === 'metrics' ? record.datapoints.length : 1;
}
