/** How `corral query` prints a result: an aligned table for people, JSON lines for programs. */
import type { QueryResult } from '../../collector/query/read-only-query.js';
import type { QueryFormat } from './program.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Columns padded to their widest cell; numbers right-aligned; a row count at the end. */
function table(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => row.map((value) => cell(value).replace(/\n/g, '\\n')));
  const widths = header.map((name, i) => Math.max(name.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = result.columns.map((c) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(c.type));
  const line = (row: readonly string[]) =>
    row
      .map((text, i) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const count = `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
  return `${[line(header), rule, ...cells.map(line), count].join('\n')}\n`;
}

/** One JSON object per row, keys in column order. */
function jsonLines(result: QueryResult): string {
  return result.rows
    .map((row) => `${JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])))}\n`)
    .join('');
}

export function formatResult(result: QueryResult, format: QueryFormat): string {
  return format === 'json' ? jsonLines(result) : table(result);
}
