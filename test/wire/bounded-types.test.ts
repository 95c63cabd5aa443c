import { describe, expect, it } from 'vitest';
import { boundedType } from '../../lib/wire/bounded-types.js';
import { decodeDatum } from '../../lib/wire/datum.js';
import { WireError, type WireErrorReason } from '../../lib/wire/errors.js';

const writer = boundedType({
  type: 'record',
  name: 'R',
  fields: [
    { name: 'kept', type: 'string' },
    { name: 'numbers', type: { type: 'array', items: 'double' } },
    { name: 'names', type: { type: 'map', values: 'string' } },
  ],
});
/** A reader that dropped both containers, so reading skips them. */
const reader = boundedType({ type: 'record', name: 'R', fields: [{ name: 'kept', type: 'string' }] });
const resolver = reader.createResolver(writer);

/** The decoded value, or the WireError reason; `skipping` reads with the reader that drops the containers. */
function decodeOrReason(bytes: Buffer, skipping = false): unknown {
  try {
    return skipping
      ? decodeDatum(reader, resolver, bytes, 0, 'test')
      : decodeDatum(writer, undefined, bytes, 0, 'test');
  } catch (error) {
    if (error instanceof WireError) return error.reason satisfies WireErrorReason;
    throw error;
  }
}

/** kept "a", then the given numbers and names encodings. */
function message(numbers: number[], names: number[]): Buffer {
  return Buffer.from([2, 0x61, ...numbers, ...names]);
}

const DOUBLE_ONE = [...Buffer.from(new Float64Array([1]).buffer)];

describe('bounded arrays and maps', () => {
  it('read and skip ordinary blocks', () => {
    const bytes = writer.toBuffer({ kept: 'a', numbers: [1, 2], names: { k: 'v' } });
    expect({ ...(writer.fromBuffer(bytes) as object) }).toEqual({
      kept: 'a',
      numbers: [1, 2],
      names: { k: 'v' },
    });
    expect({ ...(reader.fromBuffer(bytes, resolver) as object) }).toEqual({ kept: 'a' });
  });

  it('read and skip sized blocks (negative count, then byte size), as other Avro writers send', () => {
    // numbers: one block of -1 items (zig-zag 1), 8 bytes (zig-zag 16), a double, end; names: empty.
    const bytes = message([1, 16, ...DOUBLE_ONE, 0], [0]);
    expect({ ...(decodeOrReason(bytes) as object) }).toEqual({ kept: 'a', numbers: [1], names: {} });
    expect({ ...(decodeOrReason(bytes, true) as object) }).toEqual({ kept: 'a' });
  });

  it('refuse counts beyond the bytes left, reading or skipping, without iterating them', () => {
    const huge = [0xfe, 0xff, 0xff, 0xff, 0x0f]; // 2^31 - 1 items
    for (const bytes of [
      message(huge, [0]),
      message([0], huge),
      message([0xff, 0xff, 0xff, 0xff, 0x0f, 2], [0]),
    ]) {
      const started = performance.now();
      expect(decodeOrReason(bytes)).toBe('truncated');
      expect(decodeOrReason(bytes, true)).toBe('truncated');
      expect(performance.now() - started).toBeLessThan(50);
    }
  });

  it('refuse a negative block size instead of moving backwards forever', () => {
    const bytes = message([1, 3, ...DOUBLE_ONE, 0], [0]); // size -2
    expect(decodeOrReason(bytes, true)).toBe('invalid_datum');
    const negativeKey = message([0], [2, 3, 0]); // one entry whose key length is -2
    expect(decodeOrReason(negativeKey, true)).toBe('invalid_datum');
  });

  it('refuse arrays of zero-byte items, which no count bound can protect', () => {
    expect(() => boundedType({ type: 'array', items: 'null' })).toThrow(/zero-byte items/);
  });
});
