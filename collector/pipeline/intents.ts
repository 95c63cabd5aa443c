/**
 * insert_intents: before a chunk's rows are inserted, the offset range they come from is
 * recorded (acknowledged, like any insert). A collector that takes over the partition (after
 * a crash, a restart or a rebalance) looks up the range covering its starting offset and ends
 * its first chunk exactly there, so the re-insert carries the same tokens (docs/delivery.md).
 */
import type { Storage } from '../storage/storage.js';

export interface InsertRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/** A ClickHouse string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** DateTime64(3) text, UTC. */
function dateTime64(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export class InsertIntents {
  static readonly TABLE = 'insert_intents';

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the range; resolves once ClickHouse has it. */
  async record(range: InsertRange, tables: readonly string[]): Promise<void> {
    const row = {
      topic: range.topic,
      partition: range.partition,
      from_offset: range.from.toString(),
      to_offset: range.to.toString(),
      tables,
      created: dateTime64(this.now()),
    };
    await this.storage.insert(
      {
        table: InsertIntents.TABLE,
        format: 'JSONEachRow',
        data: Buffer.from(`${JSON.stringify(row)}\n`),
        rows: 1,
      },
      { dedupToken: `intent/${range.topic}/${range.partition}/${range.from}-${range.to}` },
    );
  }

  /** The latest recorded range holding `offset`, if any. */
  async covering(topic: string, partition: number, offset: bigint): Promise<InsertRange | undefined> {
    // Aliases other than the column names: ClickHouse would read them in WHERE too.
    const rows = await this.storage.query<{ range_from: string; range_to: string }>(
      `SELECT toString(from_offset) AS range_from, toString(to_offset) AS range_to
       FROM ${InsertIntents.TABLE} FINAL
       WHERE topic = ${quote(topic)} AND partition = ${partition}
         AND from_offset <= ${offset} AND to_offset > ${offset}
       ORDER BY created DESC, from_offset DESC
       LIMIT 1`,
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { topic, partition, from: BigInt(row.range_from), to: BigInt(row.range_to) };
  }
}
