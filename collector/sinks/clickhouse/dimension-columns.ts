/**
 * The dimension columns of a table (the dimensions, then labels). Every datapoint of a batch
 * shares its batch's dimensions, so a row stores only the number of its dimensions object;
 * the columns are expanded from those numbers when the block is written, looking each
 * object's values up once instead of once per row.
 */
import type { DimensionKey, Dimensions } from '../../../lib/model/dimensions.js';
import type { NamedColumn } from './native/block.js';
import { ByteWriter } from './native/byte-writer.js';
import {
  encodeString,
  LowCardinalityColumn,
  StringColumn,
  StringMapColumn,
  Uint32s,
} from './native/columns.js';

interface DimensionSet {
  dimensions: Readonly<Dimensions> | undefined;
  /** Fills container_id when the dimensions have none (a datapoint's own container). */
  containerId: string | undefined;
}

export class DimensionColumns {
  private readonly ids = new Uint32s();
  private readonly sets: DimensionSet[] = [];
  private readonly setIds = new Map<Readonly<Dimensions> | undefined, Map<string | undefined, number>>();
  private lastDimensions: Readonly<Dimensions> | undefined;
  private lastContainerId: string | undefined;
  private lastId = -1;

  /**
   * `keys` in column order; `stringKeys` are the ones the table types String rather than
   * LowCardinality(String) (ids of which there are too many to share a dictionary).
   */
  constructor(
    private readonly keys: readonly DimensionKey[],
    private readonly stringKeys: ReadonlySet<DimensionKey> = new Set(),
  ) {}

  add(dimensions: Readonly<Dimensions> | undefined, containerId?: string): void {
    if (this.lastId === -1 || dimensions !== this.lastDimensions || containerId !== this.lastContainerId) {
      this.lastId = this.idOf(dimensions, containerId);
      this.lastDimensions = dimensions;
      this.lastContainerId = containerId;
    }
    this.ids.push(this.lastId);
  }

  /** The columns for the rows added, in `keys` order, then labels. */
  columns(): NamedColumn[] {
    const ids = this.ids.values;
    const rows = this.ids.length;
    const columns: NamedColumn[] = this.keys.map((key) => {
      const values = this.sets.map((set) => dimensionValue(set, key));
      if (this.stringKeys.has(key)) {
        const column = new StringColumn(new ByteWriter(rows * 16));
        const encoded = values.map(encodeString);
        for (let i = 0; i < rows; i++) column.addEncodedMany(encoded[ids[i]!]!, 1);
        return { name: key, column };
      }
      const column = new LowCardinalityColumn();
      const indexes = values.map((value) => column.indexOf(value));
      for (let i = 0; i < rows; i++) column.addIndex(indexes[ids[i]!]!);
      return { name: key, column };
    });
    const labels = new StringMapColumn(new ByteWriter(rows * 32));
    const prepared = this.sets.map((set) => labels.prepare(set.dimensions?.labels));
    for (let i = 0; i < rows; i++) labels.addPrepared(prepared[ids[i]!]!);
    columns.push({ name: 'labels', column: labels });
    return columns;
  }

  reset(): void {
    this.ids.length = 0;
    this.sets.length = 0;
    this.setIds.clear();
    this.lastId = -1;
    this.lastDimensions = undefined;
    this.lastContainerId = undefined;
  }

  private idOf(dimensions: Readonly<Dimensions> | undefined, containerId: string | undefined): number {
    let byContainer = this.setIds.get(dimensions);
    if (byContainer === undefined) {
      byContainer = new Map();
      this.setIds.set(dimensions, byContainer);
    }
    let id = byContainer.get(containerId);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push({ dimensions, containerId });
      byContainer.set(containerId, id);
    }
    return id;
  }
}

function dimensionValue(set: DimensionSet, key: DimensionKey): string {
  const value = set.dimensions?.[key];
  if (typeof value === 'string') return value;
  return key === 'container_id' ? (set.containerId ?? '') : '';
}
