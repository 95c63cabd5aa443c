/**
 * One Native block: the column and row counts, then each column's name, type, state prefix
 * and data. This is the layout ClickHouse itself writes for FORMAT Native (no per-column
 * serialization info: that belongs to the TCP protocol, not the format).
 */
import type { ByteWriter } from './byte-writer.js';
import type { NativeColumn } from './columns.js';

export interface NamedColumn {
  readonly name: string;
  readonly column: NativeColumn;
}

export function writeBlock(out: ByteWriter, columns: readonly NamedColumn[], rows: number): void {
  out.varUInt(columns.length);
  out.varUInt(rows);
  for (const { name, column } of columns) {
    // A column short of a row would shift every later value; refuse rather than store that.
    if (column.length !== rows)
      throw new Error(`column ${name} has ${column.length} rows, the block ${rows}`);
    out.string(name);
    out.string(column.type);
    column.writePrefix(out);
    column.writeData(out);
  }
}
