import type { InsertOptions, InsertPayload, Storage } from '../../../collector/storage/storage.js';

/**
 * The real storage, whose inserts fail while `failing` is set (as a ClickHouse that is down).
 * It follows which offset ranges got all their rows stored, from the tokens: an intent
 * (`intent/<topic>/<partition>/<from>-<to>`) names a range's tables, and each table's insert
 * (`<topic>/<partition>/<from>-<to>/<table>`) stores one of them.
 */
export class FlakyStorage implements Storage {
  failing = false;
  /** Partitions (`topic/partition`) whose inserts were refused. */
  readonly refused = new Set<string>();
  /** Partition -> the end of the furthest range whose rows are all stored. */
  readonly storedUpTo = new Map<string, bigint>();
  private readonly tablesLeft = new Map<string, Set<string>>();

  constructor(private readonly inner: Storage) {}

  get kind() {
    return this.inner.kind;
  }

  get database() {
    return this.inner.database;
  }

  exec(sql: string) {
    return this.inner.exec(sql);
  }

  /** Queries go on while inserts fail: the test reads what is stored through them. */
  query<T>(sql: string) {
    return this.inner.query<T>(sql);
  }

  async insert(payload: InsertPayload, options: InsertOptions): Promise<void> {
    const intent = options.dedupToken.startsWith('intent/');
    const [topic, partition, range, table] = options.dedupToken
      .replace(/^intent\//, '')
      .split('/') as string[];
    if (this.failing) {
      this.refused.add(`${topic}/${partition}`);
      throw new Error('storage is down (test)');
    }
    await this.inner.insert(payload, options);
    const key = `${topic}/${partition}/${range}`;
    if (intent) {
      const row = JSON.parse(payload.data.toString()) as { tables: string[] };
      this.tablesLeft.set(key, new Set(row.tables));
      return;
    }
    const left = this.tablesLeft.get(key);
    left?.delete(table!);
    if (left?.size !== 0) return;
    const to = BigInt(range!.split('-')[1]!);
    const stored = this.storedUpTo.get(`${topic}/${partition}`) ?? 0n;
    if (to > stored) this.storedUpTo.set(`${topic}/${partition}`, to);
  }

  ping() {
    return this.failing ? Promise.reject(new Error('storage is down (test)')) : this.inner.ping();
  }

  close() {
    return this.inner.close();
  }
}
