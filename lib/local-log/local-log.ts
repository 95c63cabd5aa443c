/**
 * The in-process log of `corral start`: the agent appends the same Avro records it would send
 * to Kafka, and the collector consumes them, one spool per topic (lib/spool). The spool is the
 * log: a record stays in it until the collector has stored it (the collector's commit is the
 * spool's ack), so a crash or Ctrl-C loses nothing the agent had flushed, and a restart replays
 * what was not stored yet, with the same offsets (positionNumber) for the insert intents to
 * recognize.
 */
import { randomInt } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RateLimitedLog } from '../log/rate-limited.js';
import { openSpool } from '../spool/open-spool.js';
import type { Spool } from '../spool/spool.js';
import type { FsyncPolicy, SpoolRecord, SpoolStats } from '../spool/types.js';

export interface LocalLogOptions {
  dir: string;
  /** Capacity of each topic's spool (kafka.spoolMaxBytes). */
  maxBytes: number;
  fsync: FsyncPolicy;
  logger: Logger;
  log: RateLimitedLog;
}

/** One topic of the log: a single partition. */
export interface LogPartition {
  readonly topic: string;
  /**
   * The partition number: random, chosen when the topic's directory is created. Insert intents
   * are kept per (topic, partition); a log recreated from nothing starts its offsets over, and
   * must not meet the ranges of the one it replaced.
   */
  readonly partition: number;
  readonly spool: Spool;
}

const PARTITION_FILE = 'partition';

export class LocalLog {
  private readonly waiters = new Map<string, (() => void)[]>();

  private constructor(private readonly partitions: ReadonlyMap<string, LogPartition>) {}

  /** Opens (creating when missing) one spool per topic under options.dir. */
  static async open(options: LocalLogOptions, topics: readonly string[]): Promise<LocalLog> {
    const partitions = new Map<string, LogPartition>();
    try {
      for (const topic of topics) {
        // Topic names are Kafka's ([A-Za-z0-9._-]): safe as directory names.
        const dir = join(options.dir, topic);
        await mkdir(dir, { recursive: true });
        const partition = await partitionNumber(dir);
        const spool = await openSpool({ ...options, dir });
        partitions.set(topic, { topic, partition, spool });
      }
    } catch (error) {
      for (const { spool } of partitions.values()) await spool.close();
      throw error;
    }
    return new LocalLog(partitions);
  }

  get topics(): readonly LogPartition[] {
    return [...this.partitions.values()];
  }

  partitionOf(topic: string): LogPartition {
    const partition = this.partitions.get(topic);
    if (partition === undefined) throw new Error(`local log: no topic ${topic}`);
    return partition;
  }

  /** Appends to the record's topic; resolves once it is in the file (as the spool's append). */
  async append(record: SpoolRecord): Promise<void> {
    await this.partitionOf(record.topic).spool.append(record);
    const waiting = this.waiters.get(record.topic);
    if (waiting !== undefined && waiting.length > 0) {
      this.waiters.set(record.topic, []);
      for (const wake of waiting) wake();
    }
  }

  /** Resolves at the topic's next append, or when `wake` is called by whoever waits (stop). */
  nextAppend(topic: string): { promise: Promise<void>; wake: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const waiting = this.waiters.get(topic) ?? [];
    waiting.push(wake);
    this.waiters.set(topic, waiting);
    return { promise, wake };
  }

  stats(): SpoolStats[] {
    return this.topics.map((p) => p.spool.stats);
  }

  async close(): Promise<void> {
    for (const waiting of this.waiters.values()) for (const wake of waiting) wake();
    this.waiters.clear();
    for (const { spool } of this.partitions.values()) await spool.close();
  }
}

/** The directory's partition number, chosen and written (atomically) the first time. */
async function partitionNumber(dir: string): Promise<number> {
  const path = join(dir, PARTITION_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const value = Number(text);
    if (/^\d+$/.test(text) && Number.isSafeInteger(value) && value < 2 ** 31) return value;
    throw new Error(
      `local log: ${path} does not hold a partition number: ${JSON.stringify(text.slice(0, 40))}`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = randomInt(2 ** 31);
  await writeFile(`${path}.tmp`, `${value}\n`);
  await rename(`${path}.tmp`, path);
  return value;
}
