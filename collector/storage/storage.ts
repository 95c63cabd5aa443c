/**
 * The storage interface: one ClickHouse dialect, two engines behind it. The embedded engine
 * (chdb, in-process) and a ClickHouse server (@clickhouse/client over HTTP) run the same SQL,
 * so everything above this interface is tested once against the real engine.
 */

/**
 * Rows for one table: a Native block (the metric tables, read without parsing) or
 * JSONEachRow lines (small bookkeeping inserts).
 */
export interface InsertPayload {
  table: string;
  format: 'Native' | 'JSONEachRow';
  /** The columns the rows fill, in their order, or undefined for all. */
  columns?: readonly string[];
  data: Buffer;
  rows: number;
}

export interface InsertOptions {
  /**
   * ClickHouse insert deduplication: a block inserted again with the same token is dropped,
   * in the table and (with deduplicate_blocks_in_dependent_materialized_views) in the views
   * fed from it. Derived from the Kafka offsets the rows came from.
   */
  dedupToken: string;
}

export interface Storage {
  readonly kind: 'embedded' | 'server';
  /** The database every unqualified table name refers to. */
  readonly database: string;
  /** Runs a statement that returns nothing (DDL, ALTER, small INSERT ... VALUES). */
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its rows as objects (JSONEachRow semantics: 64-bit ints as strings unless cast). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Inserts the payload; resolves once ClickHouse acknowledged it (the rows are durable). */
  insert(payload: InsertPayload, options: InsertOptions): Promise<void>;
  /** Rejects when the storage cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
