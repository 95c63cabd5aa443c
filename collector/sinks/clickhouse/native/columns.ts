/**
 * Column builders for ClickHouse's Native format: values are appended row by row into typed
 * arrays (no strings built per row), and written once per insert in the layout the engine
 * reads without parsing. Each column writes its state prefix, then its data, as ClickHouse's
 * own serializations do; a Map's prefix is its key column's, written before the offsets.
 */
import { ByteWriter } from './byte-writer.js';

const INITIAL_CAPACITY = 1024;
const TWO_32 = 2 ** 32;

// One class per element type, on purpose: a generic push over several typed array kinds is
// polymorphic, and measured 20-25% slower per datapoint on this hot path.

/** Numbers appended to a Float64Array that doubles when full. */
export class Float64s {
  values = new Float64Array(INITIAL_CAPACITY);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length)
      this.values = grow(this.values, new Float64Array(this.length * 2));
    this.values[this.length++] = value;
  }
}

/** Unsigned 32-bit integers appended to a Uint32Array that doubles when full. */
export class Uint32s {
  values = new Uint32Array(INITIAL_CAPACITY);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) this.values = grow(this.values, new Uint32Array(this.length * 2));
    this.values[this.length++] = value;
  }
}

/** Signed 32-bit integers appended to an Int32Array that doubles when full. */
export class Int32s {
  values = new Int32Array(INITIAL_CAPACITY);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) this.values = grow(this.values, new Int32Array(this.length * 2));
    this.values[this.length++] = value;
  }
}

/** Bytes appended to a Uint8Array that doubles when full. */
export class Uint8s {
  values = new Uint8Array(INITIAL_CAPACITY);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) this.values = grow(this.values, new Uint8Array(this.length * 2));
    this.values[this.length++] = value;
  }
}

function grow<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Whole numbers in [0, 2^53) (or negative ones, two's complement) as 64-bit integers. */
function writeInt64s(out: ByteWriter, numbers: Float64s): void {
  const words = new Uint32Array(numbers.length * 2);
  const values = numbers.values;
  for (let i = 0; i < numbers.length; i++) {
    const value = values[i]!;
    const high = Math.floor(value / TWO_32);
    words[2 * i] = value - high * TWO_32;
    words[2 * i + 1] = high;
  }
  out.elements(words, words.length);
}

export abstract class NativeColumn {
  /** The ClickHouse type named in the block (the table's own type). */
  abstract readonly type: string;
  abstract readonly length: number;
  /** Serialization state written before the data (nested LowCardinality key versions). */
  writePrefix(_out: ByteWriter): void {}
  abstract writeData(out: ByteWriter): void;
  abstract reset(): void;
}

export class Float64Column extends NativeColumn {
  readonly type = 'Float64';
  private readonly values = new Float64s();

  get length(): number {
    return this.values.length;
  }

  add(value: number): void {
    this.values.push(value);
  }

  writeData(out: ByteWriter): void {
    out.elements(this.values.values, this.values.length);
  }

  reset(): void {
    this.values.length = 0;
  }
}

export class Int32Column extends NativeColumn {
  readonly type = 'Int32';
  private readonly values = new Int32s();

  get length(): number {
    return this.values.length;
  }

  add(value: number): void {
    this.values.push(value);
  }

  writeData(out: ByteWriter): void {
    out.elements(this.values.values, this.values.length);
  }

  reset(): void {
    this.values.length = 0;
  }
}

/** DateTime64(3): milliseconds since the epoch as Int64. */
export class DateTime64Column extends NativeColumn {
  readonly type = 'DateTime64(3)';
  private readonly values = new Float64s();

  get length(): number {
    return this.values.length;
  }

  add(ms: number): void {
    this.values.push(Math.round(ms));
  }

  writeData(out: ByteWriter): void {
    writeInt64s(out, this.values);
  }

  reset(): void {
    this.values.length = 0;
  }
}

/** UInt8, or Bool (the same bytes). */
export class UInt8Column extends NativeColumn {
  private readonly values = new Uint8s();

  constructor(readonly type: 'UInt8' | 'Bool' = 'UInt8') {
    super();
  }

  get length(): number {
    return this.values.length;
  }

  add(value: number | boolean): void {
    this.values.push(value ? 1 : 0);
  }

  writeData(out: ByteWriter): void {
    out.elements(this.values.values, this.values.length);
  }

  reset(): void {
    this.values.length = 0;
  }
}

/** Nullable(T): a null flag per row, then every row's value (0 under a null). */
export class NullableColumn<C extends Float64Column | Int32Column> extends NativeColumn {
  private readonly nulls = new Uint8s();

  constructor(private readonly values: C) {
    super();
  }

  get type(): string {
    return `Nullable(${this.values.type})`;
  }

  get length(): number {
    return this.nulls.length;
  }

  add(value: number | undefined): void {
    this.nulls.push(value === undefined ? 1 : 0);
    this.values.add(value ?? 0);
  }

  writeData(out: ByteWriter): void {
    out.elements(this.nulls.values, this.nulls.length);
    this.values.writeData(out);
  }

  reset(): void {
    this.nulls.length = 0;
    this.values.reset();
  }
}

/** String: each value's UTF-8 length, then its bytes. */
export class StringColumn extends NativeColumn {
  readonly type = 'String';
  private rows = 0;

  constructor(private readonly data: ByteWriter) {
    super();
  }

  get length(): number {
    return this.rows;
  }

  add(value: string): void {
    this.data.string(value);
    this.rows++;
  }

  /** `count` values already encoded as Native String bytes (see encodeString). */
  addEncodedMany(bytes: Uint8Array, count: number): void {
    this.data.raw(bytes);
    this.rows += count;
  }

  writeData(out: ByteWriter): void {
    out.raw(this.data.bytes());
  }

  reset(): void {
    this.data.reset();
    this.rows = 0;
  }
}

/** LowCardinality(String) serialization flags, as ClickHouse itself writes a block. */
const SHARED_DICTIONARIES_WITH_ADDITIONAL_KEYS = 1;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEED_UPDATE_DICTIONARY = 1 << 10;

/**
 * LowCardinality(String): the block's distinct values once (the default, '', first), then one
 * index per row, 8, 16 or 32 bits wide as the dictionary needs.
 */
export class LowCardinalityColumn extends NativeColumn {
  readonly type = 'LowCardinality(String)';
  private readonly dictionary = new Map<string, number>([['', 0]]);
  private readonly keys: string[] = [''];
  private readonly indexes = new Uint32s();
  // Runs of one value (a batch's kind, unit) skip the dictionary lookup.
  private lastValue = '';
  private lastIndex = 0;

  get length(): number {
    return this.indexes.length;
  }

  /** The value's index in the dictionary, added when new. */
  indexOf(value: string): number {
    if (value === this.lastValue) return this.lastIndex;
    let index = this.dictionary.get(value);
    if (index === undefined) {
      index = this.keys.length;
      this.keys.push(value);
      this.dictionary.set(value, index);
    }
    this.lastValue = value;
    this.lastIndex = index;
    return index;
  }

  add(value: string): void {
    this.indexes.push(this.indexOf(value));
  }

  /** A row whose value's index came from indexOf. */
  addIndex(index: number): void {
    this.indexes.push(index);
  }

  override writePrefix(out: ByteWriter): void {
    out.uint64(SHARED_DICTIONARIES_WITH_ADDITIONAL_KEYS);
  }

  writeData(out: ByteWriter): void {
    // ClickHouse writes nothing, not even the flags, for no rows (a block's empty maps).
    if (this.indexes.length === 0) return;
    const keys = this.keys;
    const width = keys.length <= 0x100 ? 0 : keys.length <= 0x10000 ? 1 : 2;
    out.uint64(HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY | width);
    out.uint64(keys.length);
    for (const key of keys) out.string(key);
    const rows = this.indexes.length;
    out.uint64(rows);
    const indexes = this.indexes.values;
    if (width === 2) {
      out.elements(indexes, rows);
      return;
    }
    const narrow = width === 0 ? new Uint8Array(rows) : new Uint16Array(rows);
    for (let i = 0; i < rows; i++) narrow[i] = indexes[i]!;
    out.elements(narrow, rows);
  }

  reset(): void {
    this.dictionary.clear();
    this.dictionary.set('', 0);
    this.keys.length = 1;
    this.indexes.length = 0;
    this.lastValue = '';
    this.lastIndex = 0;
  }
}

/** Map(K, V): per row the running count of entries (UInt64), then every key, then every value. */
abstract class MapColumn<K extends NativeColumn, V extends NativeColumn> extends NativeColumn {
  protected readonly offsets = new Float64s();
  protected entries = 0;

  constructor(
    protected readonly keys: K,
    protected readonly values: V,
  ) {
    super();
  }

  get type(): string {
    return `Map(${this.keys.type}, ${this.values.type})`;
  }

  get length(): number {
    return this.offsets.length;
  }

  protected endRow(): void {
    this.offsets.push(this.entries);
  }

  override writePrefix(out: ByteWriter): void {
    this.keys.writePrefix(out);
    this.values.writePrefix(out);
  }

  writeData(out: ByteWriter): void {
    writeInt64s(out, this.offsets);
    this.keys.writeData(out);
    this.values.writeData(out);
  }

  reset(): void {
    this.offsets.length = 0;
    this.entries = 0;
    this.keys.reset();
    this.values.reset();
  }
}

/** A map's entries encoded once, to be added to many rows (the labels of a batch). */
export interface PreparedStringMap {
  keyIndexes: readonly number[];
  /** The values as Native String bytes, one after another. */
  values: Uint8Array;
}

/** Map(LowCardinality(String), String): tags and labels. */
export class StringMapColumn extends MapColumn<LowCardinalityColumn, StringColumn> {
  constructor(valueBytes: ByteWriter) {
    super(new LowCardinalityColumn(), new StringColumn(valueBytes));
  }

  add(map: Readonly<Record<string, string>> | undefined): void {
    if (map !== undefined) {
      for (const key in map) {
        this.keys.add(key);
        this.values.add(map[key]!);
        this.entries++;
      }
    }
    this.endRow();
  }

  /** Encodes a map for addPrepared (against this column's dictionary, so until reset). */
  prepare(map: Readonly<Record<string, string>> | undefined): PreparedStringMap {
    const keyIndexes: number[] = [];
    const values: Uint8Array[] = [];
    if (map !== undefined) {
      for (const key in map) {
        keyIndexes.push(this.keys.indexOf(key));
        values.push(encodeString(map[key]!));
      }
    }
    return { keyIndexes, values: Buffer.concat(values) };
  }

  addPrepared(map: PreparedStringMap): void {
    const count = map.keyIndexes.length;
    for (let i = 0; i < count; i++) this.keys.addIndex(map.keyIndexes[i]!);
    if (count > 0) this.values.addEncodedMany(map.values, count);
    this.entries += count;
    this.endRow();
  }
}

/** Map(LowCardinality(String), Float64): a timer's percentiles. */
export class FloatMapColumn extends MapColumn<LowCardinalityColumn, Float64Column> {
  constructor() {
    super(new LowCardinalityColumn(), new Float64Column());
  }

  add(map: Readonly<Record<string, number>>): void {
    for (const key in map) {
      this.keys.add(key);
      this.values.add(map[key]!);
      this.entries++;
    }
    this.endRow();
  }
}

/** Map(Int32, Float64): sketch bins, index -> weight. */
export class BinsMapColumn extends MapColumn<Int32Column, Float64Column> {
  constructor() {
    super(new Int32Column(), new Float64Column());
  }

  /** Dense bins from `offset`, zero weights left out. */
  addDense(offset: number, weights: readonly number[]): void {
    for (let i = 0; i < weights.length; i++) {
      const weight = weights[i]!;
      if (weight === 0) continue;
      this.keys.add(offset + i);
      this.values.add(weight);
      this.entries++;
    }
    this.endRow();
  }

  addSparse(bins: ReadonlyMap<number, number>): void {
    for (const [index, weight] of bins) {
      this.keys.add(index);
      this.values.add(weight);
      this.entries++;
    }
    this.endRow();
  }
}

/** A string as Native String bytes: its UTF-8 length, then the bytes. */
export function encodeString(value: string): Uint8Array {
  const writer = new ByteWriter(value.length * 3 + 5);
  writer.string(value);
  return Uint8Array.from(writer.bytes());
}
