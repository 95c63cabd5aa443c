/**
 * avsc array and map types that refuse block counts larger than the bytes left.
 *
 * avsc trusts an array's or map's item count: a garbage count such as 2^31 in a 100-byte
 * message makes it allocate and "read" two billion items past the end (the collector runs
 * out of memory or stalls on one poison message). Every item of our schemas takes at least
 * one byte (checked when a type is built), so a count beyond the bytes left cannot be an
 * honest one, and decoding stays linear in the message size.
 *
 * This hooks avsc's internal reader (`_read`/`_skip` on a Tap, stable across avsc 5); the
 * poison-input tests fail if a later avsc stops calling it.
 */
import avro from 'avsc';
import { setEntry } from '../model/set-entry.js';
import { WireError } from './errors.js';

/** The part of avsc's internal byte cursor the readers below use. */
interface Tap {
  buf: Uint8Array;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

/** An avsc type or resolver as seen by the readers: `this` is either one. */
interface ItemReader {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/** The next block's item count; a negative count is followed by the block's byte size. */
function readBlockCount(tap: Tap): number {
  let count = tap.readLong();
  if (count < 0) {
    count = -count;
    tap.skipLong();
  }
  if (count > tap.buf.length - tap.pos) {
    throw new WireError('truncated', `a block of ${count} items with ${tap.buf.length - tap.pos} bytes left`);
  }
  return count;
}

/** Skips blocks, using the byte size of sized blocks rather than walking their items. */
function skipBlocks(tap: Tap, skipItem: (tap: Tap) => void): void {
  for (;;) {
    const count = tap.readLong();
    if (count === 0) return;
    if (count < 0) {
      const size = tap.readLong();
      // A negative size would move the cursor back and loop forever.
      if (size < 0) throw new WireError('invalid_datum', `negative block size ${size}`);
      tap.pos += size;
      continue;
    }
    if (count > tap.buf.length - tap.pos) {
      throw new WireError(
        'truncated',
        `a block of ${count} items with ${tap.buf.length - tap.pos} bytes left`,
      );
    }
    for (let i = 0; i < count; i++) skipItem(tap);
  }
}

/** True for types whose values encode to zero bytes, which would defeat the count bound. */
function encodesToNothing(type: avro.Type): boolean {
  if (type.typeName === 'null') return true;
  if (type instanceof avro.types.RecordType)
    return type.fields.every((field) => encodesToNothing(field.type));
  return false;
}

class BoundedArrayType extends avro.types.ArrayType {
  constructor(schema: avro.Schema, opts: Partial<avro.ForSchemaOptions>) {
    super(schema, opts);
    if (encodesToNothing(this.itemsType)) throw new Error('arrays of zero-byte items cannot be bounded');
  }

  _read(this: { itemsType: ItemReader }, tap: Tap): unknown[] {
    const items = this.itemsType;
    const out: unknown[] = [];
    for (let count = readBlockCount(tap); count !== 0; count = readBlockCount(tap)) {
      for (let i = 0; i < count; i++) out.push(items._read(tap));
    }
    return out;
  }

  _skip(this: { itemsType: ItemReader }, tap: Tap): void {
    const items = this.itemsType;
    skipBlocks(tap, (t) => items._skip(t));
  }
}

class BoundedMapType extends avro.types.MapType {
  _read(this: { valuesType: ItemReader }, tap: Tap): Record<string, unknown> {
    const values = this.valuesType;
    const out: Record<string, unknown> = {};
    for (let count = readBlockCount(tap); count !== 0; count = readBlockCount(tap)) {
      for (let i = 0; i < count; i++) {
        const key = tap.readString();
        setEntry(out, key, values._read(tap));
      }
    }
    return out;
  }

  _skip(this: { valuesType: ItemReader }, tap: Tap): void {
    const values = this.valuesType;
    skipBlocks(tap, (t) => {
      const length = t.readLong();
      if (length < 0) throw new WireError('invalid_datum', `negative string length ${length}`);
      t.pos += length;
      values._skip(t);
    });
  }
}

function isContainerSchema(schema: avro.Schema, kind: 'array' | 'map'): boolean {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    !Array.isArray(schema) &&
    'type' in schema &&
    schema.type === kind
  );
}

/** Options for `Type.forSchema` that make every array and map of the schema bounded. */
export const BOUNDED_TYPE_OPTIONS: Partial<avro.ForSchemaOptions> = {
  omitRecordMethods: true,
  typeHook: (schema, opts) => {
    if (isContainerSchema(schema, 'array')) return new BoundedArrayType(schema, opts);
    if (isContainerSchema(schema, 'map')) return new BoundedMapType(schema, opts);
    return undefined;
  },
};

/** Builds an avsc type whose decoding work is bounded by the input's length. */
export function boundedType(schema: avro.Schema, registry: Record<string, avro.Type> = {}): avro.Type {
  return avro.Type.forSchema(schema, { ...BOUNDED_TYPE_OPTIONS, registry });
}
