/**
 * Storage on embedded ClickHouse (chdb): the real engine inside this process, its data in a
 * local directory. libchdb serves one data directory per process; sessions on the same
 * directory coexist (each with its own current database), another directory needs the
 * previous sessions closed first (chdb refuses otherwise).
 *
 * Inserts hand the engine the payload as a file (insert-files.ts): a Native block is read
 * as it lies, with its own types; JSON lines are parsed with the table's types without
 * LowCardinality (input-structure.ts). Either is several times the rows per second of
 * chdb's own insert(), which inlines the bytes after the statement.
 */
import { mkdirSync } from 'node:fs';
import { drainPending, Session } from 'chdb';
import { InputStructures, insertSelect } from './input-structure.js';
import { InsertFiles } from './insert-files.js';
import { insertSettings } from './insert-settings.js';
import { quoteIdentifier, sqlString } from './sql-text.js';
import type { InsertOptions, InsertPayload, Storage } from './storage.js';

export interface EmbeddedStorageOptions {
  dataDir: string;
  database: string;
}

export class EmbeddedStorage implements Storage {
  readonly kind = 'embedded' as const;
  private session: Session | null;
  private readonly structures = new InputStructures(this);
  private readonly files = new InsertFiles();

  private constructor(
    session: Session,
    readonly database: string,
    readonly dataDir: string,
  ) {
    this.session = session;
  }

  /** Opens the directory (created when missing) and creates the database when missing. */
  static async open(options: EmbeddedStorageOptions): Promise<EmbeddedStorage> {
    mkdirSync(options.dataDir, { recursive: true });
    // 64-bit integers as JSON strings, as a server sends them by default (precision past 2^53).
    const session = new Session(options.dataDir, {
      connectionArgs: ['--output_format_json_quote_64bit_integers=1'],
    });
    try {
      await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}`);
      // USE holds for this session only: unqualified names in exec/query mean this database.
      await session.queryAsync(`USE ${quoteIdentifier(options.database)}`);
    } catch (error) {
      session.close();
      throw error;
    }
    return new EmbeddedStorage(session, options.database, options.dataDir);
  }

  async exec(sql: string): Promise<void> {
    await this.open().queryAsync(sql);
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const result = await this.open().queryAsync(sql, { format: 'JSONEachRow' });
    return parseJsonEachRow<T>(result.text());
  }

  async insert(payload: InsertPayload, options: InsertOptions): Promise<void> {
    if (payload.rows === 0) return;
    const session = this.open();
    // A Native block names its columns' types; text needs them given.
    const structure =
      payload.format === 'Native'
        ? ''
        : `, ${sqlString(await this.structures.of(payload.table, payload.columns))}`;
    await this.files.with(payload.data, async (path) => {
      const source = `file(${sqlString(path)}, ${payload.format}${structure})`;
      await session.queryAsync(
        insertSelect(this.database, payload.table, payload.columns, insertSettings(options), source),
      );
    });
  }

  async ping(): Promise<void> {
    await this.open().queryAsync('SELECT 1');
  }

  async close(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    session.close();
    this.files.close();
    // A connection closed while an operation still ran goes away only once it ends; wait, so
    // the process can open another directory next.
    await drainPending();
  }

  private open(): Session {
    if (this.session === null) throw new Error('embedded storage is closed');
    return this.session;
  }
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return rows;
}
