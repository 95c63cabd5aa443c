/** Runs an expanded query on the storage and returns its rows with the columns' types. */
import type { Storage } from '../../collector/storage/storage.js';

export interface Column {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: Column[];
  rows: Record<string, unknown>[];
}

export async function runQuery(storage: Storage, sql: string): Promise<QueryResult> {
  const [columns, rows] = await Promise.all([
    storage.query<{ name: string; type: string }>(`DESCRIBE TABLE (${sql})`),
    storage.query(sql),
  ]);
  return { columns: columns.map(({ name, type }) => ({ name, type })), rows };
}

/** The rows as arrays of numbers where a column is numeric (64-bit integers come as strings). */
export function numericRows(result: QueryResult): unknown[][] {
  return result.rows.map((row) =>
    result.columns.map(({ name, type }) => {
      const value = row[name];
      return /^(Nullable\()?U?Int(64|128|256)/.test(type) && typeof value === 'string'
        ? Number(value)
        : value;
    }),
  );
}
