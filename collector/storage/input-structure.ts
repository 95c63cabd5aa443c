/**
 * How a payload's text is parsed: as the table's types with LowCardinality taken off.
 * ClickHouse parses text into LowCardinality columns value by value, several times slower
 * than into plain ones; parsed plain and converted as a whole column on insert, the same
 * rows go in about three times faster. Both engines insert through
 *   INSERT INTO t (columns) SELECT * FROM <file(...) | input(...)>
 * with this structure, so the conversion happens in one place, the engine.
 */
import { sqlString } from './sql-text.js';
import type { Storage } from './storage.js';

/** A type with every LowCardinality(T) replaced by T: Map(LowCardinality(String), String) -> Map(String, String). */
export function withoutLowCardinality(type: string): string {
  const marker = 'LowCardinality(';
  let out = '';
  let i = 0;
  while (i < type.length) {
    const at = type.indexOf(marker, i);
    if (at === -1) {
      out += type.slice(i);
      break;
    }
    out += type.slice(i, at);
    // Find the parenthesis closing this LowCardinality and keep what it wraps.
    let depth = 1;
    let j = at + marker.length;
    for (; j < type.length && depth > 0; j++) {
      if (type[j] === '(') depth++;
      else if (type[j] === ')') depth--;
    }
    out += withoutLowCardinality(type.slice(at + marker.length, j - 1));
    i = j;
  }
  return out;
}

/** Looks up and remembers, per table and column list, the structure to parse payloads with. */
export class InputStructures {
  private readonly cache = new Map<string, string>();

  constructor(private readonly storage: Pick<Storage, 'query' | 'database'>) {}

  async of(table: string, columns: readonly string[] | undefined): Promise<string> {
    const key = `${table}(${columns?.join(',') ?? '*'})`;
    let structure = this.cache.get(key);
    if (structure === undefined) {
      structure = await this.lookUp(table, columns);
      this.cache.set(key, structure);
    }
    return structure;
  }

  private async lookUp(table: string, columns: readonly string[] | undefined): Promise<string> {
    const rows = await this.storage.query<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = ${sqlString(this.storage.database)} ` +
        `AND table = ${sqlString(table)} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position`,
    );
    if (rows.length === 0) throw new Error(`no table ${this.storage.database}.${table}`);
    const types = new Map(rows.map((row) => [row.name, row.type]));
    const names = columns ?? rows.map((row) => row.name);
    return names
      .map((name) => {
        const type = types.get(name);
        if (type === undefined) throw new Error(`${this.storage.database}.${table} has no column ${name}`);
        return `${name} ${withoutLowCardinality(type)}`;
      })
      .join(', ');
  }
}

/** `INSERT INTO db.table (columns) SETTINGS ...`: what FORMAT or SELECT follows. */
export function insertInto(
  database: string,
  table: string,
  columns: readonly string[] | undefined,
  settings: Readonly<Record<string, string | number>>,
): string {
  const list = columns === undefined ? '' : ` (${columns.join(', ')})`;
  const pairs = Object.entries(settings).map(
    ([name, value]) => `${name} = ${typeof value === 'number' ? value : sqlString(value)}`,
  );
  return `INSERT INTO ${database}.${table}${list} SETTINGS ${pairs.join(', ')}`;
}

/** `INSERT INTO db.table (columns) SETTINGS ... SELECT * FROM source`. */
export function insertSelect(
  database: string,
  table: string,
  columns: readonly string[] | undefined,
  settings: Readonly<Record<string, string | number>>,
  source: string,
): string {
  return `${insertInto(database, table, columns, settings)} SELECT * FROM ${source}`;
}
