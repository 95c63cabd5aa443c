/**
 * Delivers one chunk, in the order that makes a crash at any point harmless: its poison
 * messages to the dead-letter topic, its offset range to insert_intents, its rows table by
 * table (each insert with the chunk's token for the table), then the offset commit. Each step
 * is retried until it succeeds (docs/delivery.md).
 */
import type { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { DeadLetters } from '../sources/kafka/dead-letter.js';
import type { Storage } from '../storage/storage.js';
import type { Chunk } from './chunk.js';
import type { InsertIntents } from './intents.js';
import { type GroupSession, heartbeatIgnoringOutage, keepingAlive, retrying } from './retry.js';
import { SerialLock } from './serial-lock.js';
import type { PipelineStats } from './stats.js';

export interface ChunkWriterOptions {
  storage: Storage;
  intents: InsertIntents;
  deadLetters: DeadLetters;
  stats: PipelineStats;
  log: RateLimitedLog;
  /** Seconds an acknowledged insert took, by table. */
  observeInsert?: (table: string, seconds: number) => void;
  /** Test hook: called right after the first data insert is acknowledged, before its commit. */
  afterDataInsert?: () => void;
  /**
   * Write one chunk's rows at a time. For the embedded engine, which shares this process's
   * cores: inserts side by side only slow each other down, and meanwhile the chunks of the
   * partitions not writing keep growing into fewer, larger inserts.
   */
  oneInsertAtATime?: boolean;
}

export class ChunkWriter {
  private readonly insertSlot: SerialLock | undefined;

  constructor(private readonly options: ChunkWriterOptions) {
    this.insertSlot = options.oneInsertAtATime ? new SerialLock() : undefined;
  }

  /** Runs `task` once the insert slot is free (at once when inserts may run side by side). */
  private withInsertSlot(task: () => Promise<void>): Promise<void> {
    return this.insertSlot === undefined ? task() : this.insertSlot.run(task);
  }

  /** Writes the chunk, then `commit`s its end offset; rejects only on a rebalance or a stop. */
  async write(chunk: Chunk, session: GroupSession, commit: () => Promise<void>): Promise<void> {
    const { deadLetters, stats, log } = this.options;
    const where = {
      topic: chunk.topic,
      partition: chunk.partition,
      from: String(chunk.from),
      to: String(chunk.to),
    };
    if (chunk.poison.length > 0) {
      await retrying(
        session,
        () => deadLetters.send(chunk.poison),
        (error, retryInMs) =>
          log.error(
            'dead_letter_failed',
            { ...where, err: error, retryInMs },
            'dead-letter send failed; retrying',
          ),
      );
    }
    // Heartbeats while waiting for the slot too: behind other partitions' inserts, the wait can
    // outlast the session timeout. A partition lost meanwhile is found out before its intent.
    await keepingAlive(session, () => this.withInsertSlot(() => this.insertRows(chunk, session, where)));
    stats.datapointsStored += chunk.datapoints;
    await retrying(session, commit, (error, retryInMs) =>
      log.error('commit_failed', { ...where, err: error, retryInMs }, 'offset commit failed; retrying'),
    );
    stats.commits++;
    stats.committed.set(`${chunk.topic}/${chunk.partition}`, {
      topic: chunk.topic,
      partition: chunk.partition,
      offset: chunk.to,
    });
  }

  /** The chunk's intent, then its payloads table by table, each retried until acknowledged. */
  private async insertRows(
    chunk: Chunk,
    session: GroupSession,
    where: Record<string, unknown>,
  ): Promise<void> {
    const { storage, intents, stats, log } = this.options;
    // Built once the slot is free, so waiting chunks do not hold their payloads' memory too.
    const payloads = chunk.rows.payloads().filter((p) => p.rows > 0);
    const onInsertFailure = (error: unknown, retryInMs: number) => {
      stats.insertFailures++;
      log.error('insert_failed', { ...where, err: error, retryInMs }, 'insert failed; retrying');
    };
    if (payloads.length > 0 && chunk.target === undefined) {
      // A resumed range is recorded already; recording it again would change nothing.
      const range = { topic: chunk.topic, partition: chunk.partition, from: chunk.from, to: chunk.to };
      const tables = payloads.map((p) => p.table);
      // Still the partition's owner? (A process paused past the session timeout may not be.)
      await heartbeatIgnoringOutage(session);
      await retrying(session, () => intents.record(range, tables), onInsertFailure);
    }
    for (const payload of payloads) {
      const insert = async () => {
        const started = performance.now();
        await storage.insert(payload, { dedupToken: chunk.dedupToken(payload.table) });
        this.options.observeInsert?.(payload.table, (performance.now() - started) / 1000);
      };
      await retrying(session, insert, onInsertFailure);
      stats.rowsInserted.set(payload.table, (stats.rowsInserted.get(payload.table) ?? 0) + payload.rows);
      this.options.afterDataInsert?.();
    }
  }
}
