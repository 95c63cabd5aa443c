/**
 * One partition's consumed messages waiting to be inserted: the offset range [from, to) they
 * cover, the rows built from them, the poison among them, the metric batches they hold.
 * Every insert of a chunk carries the deduplication token `<topic>/<partition>/<from>-<to>/<table>`,
 * so inserting the same range again is a no-op in ClickHouse (docs/delivery.md).
 */
import type { CollectorRecord } from '../model.js';
import type { PoisonMessage } from '../sources/kafka/dead-letter.js';
import type { InsertPayload } from '../storage/storage.js';

/** Rows of records, per table (collector/sinks/clickhouse/rows.ts). */
export interface ChunkRows {
  /** `timeMs`: the Kafka message's timestamp (a tombstone's only time). */
  add(record: CollectorRecord, timeMs: number): void;
  payloads(): InsertPayload[];
  /** Rows held (every table). */
  readonly rows: number;
}

export class Chunk {
  /** One past the last offset consumed into the chunk. */
  end: bigint;
  readonly poison: PoisonMessage[] = [];
  /** Metric batches in the chunk (recentBatches keys), remembered once the chunk is stored. */
  readonly batchKeys = new Set<number>();
  /** Datapoints of the chunk's metric batches. */
  datapoints = 0;
  messages = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly from: bigint,
    readonly rows: ChunkRows,
    /** Milliseconds (monotonic clock) when the chunk was started. */
    readonly startedAt: number,
    /**
     * Set when resuming a range a previous run recorded in insert_intents: the chunk must end
     * exactly here so its inserts carry the tokens that run used.
     */
    readonly target: bigint | undefined,
  ) {
    this.end = from;
  }

  /** The end offset the chunk's tokens and commit name. */
  get to(): bigint {
    return this.target ?? this.end;
  }

  /** Every message of the range is in (always true for a chunk without a target). */
  completeAt(fetchedUpTo: bigint): boolean {
    return this.target === undefined || fetchedUpTo >= this.target;
  }

  dedupToken(table: string): string {
    return `${this.topic}/${this.partition}/${this.from}-${this.to}/${table}`;
  }
}
