import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../lib/spool/frame.js';
import { type SalvageResult, salvageFrames } from '../../lib/spool/salvage.js';
import type { SpoolRecord } from '../../lib/spool/spool.js';

interface Segment {
  buffer: Buffer;
  /** Where each record's frame sits in buffer. */
  frames: { offset: number; bytes: number }[];
}

/** Record `id` with a value of `valueBytes` (at least 4: the id). */
function record(id: number, valueBytes: number): SpoolRecord {
  const value = Buffer.alloc(Math.max(valueBytes, 4), 0x20 + (id % 64));
  value.writeUInt32BE(id, 0);
  return { topic: `t${id % 3}`, key: id % 2 === 0 ? null : Buffer.from(`k${id}`), value, timeMs: id };
}

function segmentOf(records: readonly SpoolRecord[]): Segment {
  const parts: Buffer[] = [];
  const frames: Segment['frames'] = [];
  let offset = 0;
  for (const r of records) {
    const frame = encodeFrame(r);
    parts.push(frame.head, frame.value);
    frames.push({ offset, bytes: frame.bytes });
    offset += frame.bytes;
  }
  return { buffer: Buffer.concat(parts), frames };
}

/** The ids of the records in the salvaged segment: the runs concatenated, decoded one by one. */
function keptIds(buffer: Buffer, result: SalvageResult): number[] {
  const salvaged = Buffer.concat(result.runs.map((run) => buffer.subarray(run.start, run.end)));
  const kept: number[] = [];
  for (let at = 0; at < salvaged.length; ) {
    const frame = decodeFrame(salvaged, at);
    if (frame.kind !== 'record') throw new Error(`salvaged segment: ${frame.kind} frame at ${at}`);
    kept.push(frame.record.value.readUInt32BE(0));
    at += frame.frameBytes;
  }
  expect(kept).toHaveLength(result.records);
  return kept;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('salvageFrames', () => {
  const records = range(0, 10).map((id) => record(id, 100 + id * 7));

  it('keeps a clean segment whole', async () => {
    const { buffer } = segmentOf(records);
    const result = await salvageFrames(buffer, 0);
    expect(result).toEqual({ runs: [{ start: 0, end: buffer.length }], records: 10, damaged: [] });
  });

  it('skips exactly the frame with a damaged payload, and counts it exactly', async () => {
    const { buffer, frames } = segmentOf(records);
    const f = frames[4]!;
    buffer[f.offset + f.bytes - 3]! ^= 0x01;
    const result = await salvageFrames(buffer, 0);
    expect(keptIds(buffer, result)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(result.damaged).toEqual([
      { offset: f.offset, bytes: f.bytes, records: 1, exact: true, reason: 'crc' },
    ]);
  });

  it('resynchronizes after a damaged length field, counting 1 as a lower bound', async () => {
    const { frames } = segmentOf(records);
    const third = frames[2]!;
    // Impossible, running past the end, too short for a payload, pointing inside the frame or just past it.
    for (const length of [0xffff_ffff, 0xffff_ff00, 3, third.bytes - 9 - 40, third.bytes - 9 + 1]) {
      const { buffer } = segmentOf(records);
      buffer.writeUInt32BE(length, third.offset + 1);
      const result = await salvageFrames(buffer, 0);
      expect(keptIds(buffer, result)).toEqual([0, 1, ...range(3, 10)]);
      expect(result.damaged).toEqual([
        { offset: third.offset, bytes: third.bytes, records: 1, exact: false, reason: expect.any(String) },
      ]);
    }
  });

  it('counts adjacent damaged frames with intact headers exactly, and a damaged header as 1', async () => {
    const { buffer, frames } = segmentOf(records);
    for (const i of [1, 2, 3]) buffer[frames[i]!.offset + 30]! ^= 0xff;
    buffer[frames[6]!.offset]! = 0x00; // the magic byte
    buffer[frames[7]!.offset + 3]! ^= 0x40; // and the next frame's length
    const result = await salvageFrames(buffer, 0);
    expect(keptIds(buffer, result)).toEqual([0, 4, 5, 8, 9]);
    const bytes = (from: number, to: number) => frames.slice(from, to).reduce((sum, f) => sum + f.bytes, 0);
    expect(result.damaged).toEqual([
      { offset: frames[1]!.offset, bytes: bytes(1, 4), records: 3, exact: true, reason: 'crc' },
      { offset: frames[6]!.offset, bytes: bytes(6, 8), records: 1, exact: false, reason: 'magic' },
    ]);
    expect(result.runs).toEqual([
      { start: 0, end: frames[1]!.offset },
      { start: frames[4]!.offset, end: frames[6]!.offset },
      { start: frames[8]!.offset, end: buffer.length },
    ]);
  });

  it('counts a damaged last frame exactly, and a torn one as 1 truncated', async () => {
    const damagedLast = segmentOf(records);
    const last = damagedLast.frames[9]!;
    damagedLast.buffer[last.offset + 20]! ^= 0x08;
    const result = await salvageFrames(damagedLast.buffer, 0);
    expect(result.runs).toEqual([{ start: 0, end: last.offset }]);
    expect(result.damaged).toEqual([
      { offset: last.offset, bytes: last.bytes, records: 1, exact: true, reason: 'crc' },
    ]);

    const torn = segmentOf(records);
    for (const cut of [4, 9, 40, last.bytes - 1]) {
      const buffer = torn.buffer.subarray(0, last.offset + cut);
      const tornResult = await salvageFrames(buffer, 0);
      expect(tornResult.records).toBe(9);
      expect(tornResult.damaged).toEqual([
        { offset: last.offset, bytes: cut, records: 1, exact: false, reason: 'truncated' },
      ]);
    }
  });

  it('starts at `from` and reports offsets in the buffer', async () => {
    const { buffer, frames } = segmentOf(records);
    buffer[frames[5]!.offset + 12]! ^= 0x02;
    const result = await salvageFrames(buffer, frames[3]!.offset);
    expect(result.records).toBe(6);
    expect(result.runs[0]).toEqual({ start: frames[3]!.offset, end: frames[5]!.offset });
    expect(result.damaged.map((region) => region.offset)).toEqual([frames[5]!.offset]);
  });

  it('never loses more than the frames random byte corruption touches', async () => {
    const recordsArbitrary = fc.array(
      fc.record({
        valueBytes: fc.integer({ min: 4, max: 400 }),
        random: fc.uint8Array({ minLength: 400, maxLength: 400 }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    const damageArbitrary = fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), {
      minLength: 1,
      maxLength: 3,
    });
    await fc.assert(
      fc.asyncProperty(recordsArbitrary, damageArbitrary, async (specs, damage) => {
        // Values of random bytes: all the more chances of a magic byte and a plausible header inside.
        const generated = specs.map(({ valueBytes, random }, id) => {
          const r = record(id, valueBytes);
          Buffer.from(random).copy(r.value, 4, 0, valueBytes - 4);
          return r;
        });
        const { buffer, frames } = segmentOf(generated);
        const original = Buffer.from(buffer);
        for (const { at, xor } of damage) buffer[at % buffer.length]! ^= xor;
        // Two changes to one byte may cancel out: touched are the frames whose bytes differ.
        const touched = new Set(
          frames.flatMap((f, i) =>
            buffer.compare(original, f.offset, f.offset + f.bytes, f.offset, f.offset + f.bytes) === 0
              ? []
              : [i],
          ),
        );
        const result = await salvageFrames(buffer, 0);
        // Every untouched frame is kept (and none of the touched: CRC-32 catches any damaged byte).
        expect(keptIds(buffer, result)).toEqual(range(0, frames.length).filter((i) => !touched.has(i)));
        // One region per run of adjacent touched frames: exactly their bytes, 1 to all of their records.
        const groups: number[][] = [];
        for (const i of [...touched].sort((a, b) => a - b)) {
          const group = groups.at(-1);
          if (group !== undefined && group.at(-1) === i - 1) group.push(i);
          else groups.push([i]);
        }
        expect(result.damaged).toHaveLength(groups.length);
        for (const [g, group] of groups.entries()) {
          const region = result.damaged[g]!;
          expect(region.offset).toBe(frames[group[0]!]!.offset);
          expect(region.bytes).toBe(group.reduce((sum, i) => sum + frames[i]!.bytes, 0));
          expect(region.records).toBeGreaterThanOrEqual(1);
          expect(region.records).toBeLessThanOrEqual(group.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
