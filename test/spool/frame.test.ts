import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_SLICE_BYTES, crc32Of, crc32Sliced } from '../../lib/spool/checksum.js';
import { decodeCursor, encodeCursor } from '../../lib/spool/cursor.js';
import { decodeFrame, encodeFrame, FRAME_HEADER_BYTES } from '../../lib/spool/frame.js';
import type { SpoolRecord } from '../../lib/spool/spool.js';

const recordArbitrary: fc.Arbitrary<SpoolRecord> = fc.record({
  topic: fc.string({ minLength: 1, maxLength: 40 }),
  key: fc.option(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    { nil: null },
  ),
  value: fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  timeMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
});

function frameBuffer(record: SpoolRecord): Buffer {
  const frame = encodeFrame(record);
  return Buffer.concat([frame.head, frame.value]);
}

describe('spool frame', () => {
  it('round-trips any record', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        const bytes = frameBuffer(record);
        const decoded = decodeFrame(bytes, 0);
        expect(decoded).toEqual({ kind: 'record', record, frameBytes: bytes.length });
      }),
    );
  });

  it('never decodes a frame with one flipped bit as a record', () => {
    fc.assert(
      fc.property(recordArbitrary, fc.nat(), fc.integer({ min: 0, max: 7 }), (record, at, bit) => {
        const bytes = frameBuffer(record);
        const position = at % bytes.length;
        bytes[position]! ^= 1 << bit;
        expect(decodeFrame(bytes, 0).kind).not.toBe('record');
      }),
    );
  });

  it('reports a frame cut short as partial, with its full size once the header is in', () => {
    const bytes = frameBuffer({ topic: 't', key: null, value: Buffer.alloc(100, 7), timeMs: 1 });
    expect(decodeFrame(bytes.subarray(0, 5), 0)).toEqual({ kind: 'partial', frameBytes: undefined });
    expect(decodeFrame(bytes.subarray(0, FRAME_HEADER_BYTES + 3), 0)).toEqual({
      kind: 'partial',
      frameBytes: bytes.length,
    });
  });

  it('decodes frames back to back', () => {
    const first = frameBuffer({ topic: 'a', key: Buffer.from('k'), value: Buffer.from('one'), timeMs: 1 });
    const second = frameBuffer({ topic: 'b', key: null, value: Buffer.from('two'), timeMs: 2 });
    const both = Buffer.concat([first, second]);
    const decoded = decodeFrame(both, first.length);
    expect(decoded.kind === 'record' && decoded.record.value.toString()).toBe('two');
  });

  it('rejects records it cannot frame', () => {
    expect(() => encodeFrame({ topic: '', key: null, value: Buffer.alloc(1), timeMs: 1 })).toThrow(TypeError);
    expect(() =>
      encodeFrame({ topic: 'x'.repeat(70_000), key: null, value: Buffer.alloc(1), timeMs: 1 }),
    ).toThrow(RangeError);
    expect(() => encodeFrame({ topic: 't', key: null, value: Buffer.alloc(1), timeMs: Number.NaN })).toThrow(
      TypeError,
    );
  });
});

describe('spool cursor encoding', () => {
  it('round-trips and detects any flipped bit', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: 24 * 8 - 1 }),
        (segment, offset, bit) => {
          const bytes = encodeCursor({ segment, offset });
          expect(decodeCursor(bytes)).toEqual({ kind: 'ok', cursor: { segment, offset } });
          bytes[bit >> 3]! ^= 1 << (bit & 7);
          expect(decodeCursor(bytes).kind).toBe('corrupt');
        },
      ),
    );
  });
});

describe('sliced checksum', () => {
  it('equals the one-piece CRC, and lets the event loop run between slices of a large buffer', async () => {
    const big = randomBytes(1 << 20);
    let otherWorkRan = false;
    setImmediate(() => {
      otherWorkRan = true;
    });
    expect(await crc32Sliced(big, 7)).toBe(crc32Of(big, 7));
    expect(otherWorkRan).toBe(true);
  });

  it('checksums a small buffer in one piece', async () => {
    const small = randomBytes(CHECKSUM_SLICE_BYTES);
    let otherWorkRan = false;
    const pending = setImmediate(() => {
      otherWorkRan = true;
    });
    expect(await crc32Sliced(small)).toBe(crc32Of(small));
    expect(otherWorkRan).toBe(false);
    clearImmediate(pending);
  });
});
