import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolEntry } from '../../lib/spool/spool.js';
import {
  appendAll,
  drain,
  frameBytes,
  idOf,
  ids,
  peekAll,
  range,
  segmentFiles,
  useSpoolDir,
} from './helpers.js';

const FRAME = frameBytes();

/** Overwrites bytes of a file in place, as bit rot or a stray write would. */
function overwrite(path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

function flipBit(path: string, position: number): void {
  const [byte] = readFileSync(path).subarray(position, position + 1);
  overwrite(path, position, Buffer.from([byte! ^ 0x10]));
}

function entryWithId(entries: readonly SpoolEntry[], id: number): SpoolEntry {
  return entries.find((entry) => idOf(entry) === id)!;
}

describe('Spool damage', () => {
  const fixture = useSpoolDir();
  const open = fixture.open;

  describe('torn write (a crash mid-append)', () => {
    it('replays everything before a record cut short in its payload and counts it corrupt', async () => {
      const { spool } = await open({ segmentBytes: 1 << 20 });
      await appendAll(spool, 0, 5);
      await spool.close();
      const [segment] = segmentFiles(fixture.dir);
      const path = join(fixture.dir, segment!);
      truncateSync(path, 5 * FRAME - 50);

      const reopened = await open({ segmentBytes: 1 << 20 });
      expect(ids(await peekAll(reopened.spool))).toEqual(range(0, 4));
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME - 50 }]);
      expect(reopened.spool.stats.dropped.corrupt).toBe(1);
      // Cut off on disk: the next open does not count it again.
      expect(statSync(path).size).toBe(4 * FRAME);

      await appendAll(reopened.spool, 5, 7);
      await reopened.spool.close();
      const again = await open({ segmentBytes: 1 << 20 });
      expect(again.drops).toEqual([]);
      expect(ids(await drain(again.spool))).toEqual([0, 1, 2, 3, 5, 6]);
    });

    it('handles a record cut inside its header, without a close', async () => {
      const crashed = await open({ segmentBytes: 1 << 20 });
      await appendAll(crashed.spool, 0, 3);
      const path = join(fixture.dir, segmentFiles(fixture.dir)[0]!);
      // The crashed spool's writes are in the page cache; cutting the file is the crash.
      truncateSync(path, 2 * FRAME + 4);

      const reopened = await open({ segmentBytes: 1 << 20 });
      expect(ids(await peekAll(reopened.spool))).toEqual([0, 1]);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: 4 }]);
    });

    it('treats zeros where a record should be (a lost page after power loss) as corrupt', async () => {
      const { spool } = await open({ segmentBytes: 1 << 20 });
      await appendAll(spool, 0, 3);
      await spool.close();
      const path = join(fixture.dir, segmentFiles(fixture.dir)[0]!);
      writeFileSync(path, Buffer.alloc(4096), { flag: 'a' });

      const reopened = await open({ segmentBytes: 1 << 20 });
      expect(ids(await peekAll(reopened.spool))).toEqual([0, 1, 2]);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: 4096 }]);
    });
  });

  describe('damage in the middle of a segment', () => {
    // Five records per segment: ids 0-4, 5-9 and 10-14 in three segments.
    const options = { segmentBytes: 5 * FRAME };

    async function spoolOfThreeSegments() {
      const opened = await open(options);
      await appendAll(opened.spool, 0, 15);
      expect(segmentFiles(fixture.dir)).toHaveLength(3);
      const entries = await peekAll(opened.spool);
      return { ...opened, entries, middle: join(fixture.dir, segmentFiles(fixture.dir)[1]!) };
    }

    it('loses only the record with a flipped bit: the rest of its segment is replayed', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      await spool.close();
      const damaged = entryWithId(entries, 7);
      flipBit(middle, damaged.position.offset + FRAME - 10);

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
      expect(reopened.spool.stats).toMatchObject({
        records: 14,
        dropped: { corrupt: 1 },
        droppedBytes: { corrupt: FRAME },
      });
      expect(reopened.warnings).toEqual([
        {
          fields: expect.objectContaining({
            offset: 2 * FRAME,
            bytes: FRAME,
            records: 1,
            exact: true,
            reason: 'crc',
          }),
          message: expect.stringContaining('kept the records around them'),
        },
      ]);
      // Rewritten without the damaged frame: the next open finds nothing to count.
      expect(statSync(middle).size).toBe(4 * FRAME);
      expect(readdirSync(fixture.dir).filter((name) => name.includes('salvage'))).toEqual([]);
      await reopened.spool.close();
      const again = await open(options);
      expect(again.drops).toEqual([]);
      expect(again.warnings).toEqual([]);
      expect(ids(await drain(again.spool))).toEqual(range(0, 15).filter((id) => id !== 7));
    });

    it('resynchronizes after a damaged length field: the next frame is found and replayed', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      await spool.close();
      const sixth = entryWithId(entries, 6).position.offset;
      overwrite(middle, sixth + 1, Buffer.from([0xff, 0xff, 0xff, 0x00]));

      const reopened = await open(options);
      // Its length lost, the frame's end is found from the next frame: bytes exact, records at least 1.
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
      expect(reopened.warnings[0]?.fields).toMatchObject({ exact: false, reason: 'length' });
      expect(ids(await peekAll(reopened.spool))).toEqual([...range(0, 6), ...range(7, 15)]);
    });

    it('counts a run of damaged frames whose boundaries are lost as one record, the bytes exactly', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      await spool.close();
      // Zeros from inside record 6 to inside record 8, as a lost page would leave.
      const from = entryWithId(entries, 6).position.offset + 20;
      overwrite(middle, from, Buffer.alloc(2 * FRAME));

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: 3 * FRAME }]);
      expect(ids(await drain(reopened.spool))).toEqual([...range(0, 6), 9, ...range(10, 15)]);
    });
    it('skips damage that appears while running, counting the records it knew were there', async () => {
      const { spool, entries, middle, drops } = await spoolOfThreeSegments();
      flipBit(middle, entryWithId(entries, 7).position.offset + FRAME - 10);

      expect(ids(await peekAll(spool))).toEqual([...range(0, 7), ...range(10, 15)]);
      expect(drops).toEqual([{ reason: 'corrupt', records: 3, bytes: 3 * FRAME }]);
      expect(spool.stats).toMatchObject({ records: 12, dropped: { corrupt: 3 } });
      expect(ids(await drain(spool))).toEqual([...range(0, 7), ...range(10, 15)]);
    });

    it('accepts an acknowledgment of entries peeked before their segment was found damaged', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      const firstPeek = await spool.peek(10);
      flipBit(middle, entryWithId(entries, 7).position.offset + FRAME - 10);
      expect(ids(await spool.peek(10))).toEqual([...range(0, 7), 10, 11, 12]);

      await spool.ack(firstPeek[9]!);
      expect(spool.stats).toMatchObject({ acked: 7, records: 5 });
      expect(ids(await peekAll(spool))).toEqual(range(10, 15));
    });

    it('keeps appending replayable records after damage in the segment being written', async () => {
      const { spool, entries, drops } = await spoolOfThreeSegments();
      const newest = join(fixture.dir, segmentFiles(fixture.dir)[2]!);
      flipBit(newest, entryWithId(entries, 12).position.offset + 12);

      expect(ids(await peekAll(spool))).toEqual(range(0, 12));
      expect(drops).toEqual([{ reason: 'corrupt', records: 3, bytes: 3 * FRAME }]);
      await appendAll(spool, 15, 17);
      expect(ids(await drain(spool))).toEqual([...range(0, 12), 15, 16]);
    });
  });

  describe('damage in several places', () => {
    // One segment of twelve records, ids 0-11.
    const options = { segmentBytes: 1 << 20 };

    async function closedSpoolOfTwelve() {
      const { spool } = await open(options);
      await appendAll(spool, 0, 12);
      const entries = await peekAll(spool);
      await spool.close();
      const path = join(fixture.dir, segmentFiles(fixture.dir)[0]!);
      return { path, offsetOf: (id: number) => entryWithId(entries, id).position.offset };
    }

    it('skips each damaged region and replays every record between them', async () => {
      const { path, offsetOf } = await closedSpoolOfTwelve();
      flipBit(path, offsetOf(2) + 100);
      flipBit(path, offsetOf(3) + 60); // adjacent: headers intact, so counted exactly
      overwrite(path, offsetOf(6), Buffer.from([0x00])); // the magic byte
      overwrite(path, offsetOf(9) + 1, Buffer.from([0x00, 0x00, 0x00, 0x20])); // a short length

      const reopened = await open(options);
      expect(reopened.drops).toEqual([
        { reason: 'corrupt', records: 2, bytes: 2 * FRAME },
        { reason: 'corrupt', records: 1, bytes: FRAME },
        { reason: 'corrupt', records: 1, bytes: FRAME },
      ]);
      expect(reopened.warnings.map((w) => w.fields)).toEqual([
        expect.objectContaining({ offset: 2 * FRAME, records: 2, exact: true, reason: 'crc' }),
        expect.objectContaining({ offset: 6 * FRAME, records: 1, exact: false, reason: 'magic' }),
        expect.objectContaining({ offset: 9 * FRAME, records: 1, exact: false, reason: 'crc' }),
      ]);
      expect(reopened.spool.stats).toMatchObject({ records: 8, dropped: { corrupt: 4 } });
      expect(statSync(path).size).toBe(8 * FRAME);
      const replayed = [0, 1, 4, 5, 7, 8, 10, 11];
      expect(ids(await peekAll(reopened.spool))).toEqual(replayed);

      await reopened.spool.close();
      const again = await open(options);
      expect(again.drops).toEqual([]);
      expect(ids(await drain(again.spool))).toEqual(replayed);
    });

    it('counts a damaged last frame exactly and cuts it off', async () => {
      const { path, offsetOf } = await closedSpoolOfTwelve();
      flipBit(path, offsetOf(11) + 50);

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
      expect(reopened.warnings[0]?.fields).toMatchObject({ exact: true, reason: 'crc' });
      expect(statSync(path).size).toBe(11 * FRAME);
      expect(ids(await peekAll(reopened.spool))).toEqual(range(0, 11));
    });

    it('salvages a damaged frame and cuts a torn tail in the same segment', async () => {
      const { path, offsetOf } = await closedSpoolOfTwelve();
      flipBit(path, offsetOf(4) + 50);
      truncateSync(path, 12 * FRAME - 30);

      const reopened = await open(options);
      expect(reopened.drops).toEqual([
        { reason: 'corrupt', records: 1, bytes: FRAME },
        { reason: 'corrupt', records: 1, bytes: FRAME - 30 },
      ]);
      expect(reopened.warnings.map((w) => w.fields)).toEqual([
        expect.objectContaining({ reason: 'crc' }),
        expect.objectContaining({ reason: 'truncated' }),
      ]);
      expect(ids(await peekAll(reopened.spool))).toEqual([0, 1, 2, 3, ...range(5, 11)]);
      await reopened.spool.close();
      expect((await open(options)).drops).toEqual([]);
    });

    it('keeps the acknowledged bytes as they are, so the cursor still points at the next record', async () => {
      const { spool } = await open(options);
      await appendAll(spool, 0, 12);
      await spool.ack((await spool.peek(5))[4]!);
      const entries = await peekAll(spool);
      await spool.close();
      const path = join(fixture.dir, segmentFiles(fixture.dir)[0]!);
      flipBit(path, entryWithId(entries, 7).position.offset + 50);

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
      expect(statSync(path).size).toBe(11 * FRAME);
      const replayed = [5, 6, ...range(8, 12)];
      expect(ids(await peekAll(reopened.spool))).toEqual(replayed);
      await reopened.spool.ack((await reopened.spool.peek(2))[1]!);
      await reopened.spool.close();
      const again = await open(options);
      expect(again.drops).toEqual([]);
      expect(ids(await drain(again.spool))).toEqual(range(8, 12));
    });

    it('deletes what a salvage interrupted by a crash left, and salvages again', async () => {
      const { path, offsetOf } = await closedSpoolOfTwelve();
      flipBit(path, offsetOf(3) + 50);
      writeFileSync(`${path}.salvage`, 'half-written');

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
      expect(readdirSync(fixture.dir).filter((name) => name.includes('salvage'))).toEqual([]);
      expect(ids(await peekAll(reopened.spool))).toEqual(range(0, 12).filter((id) => id !== 3));
    });

    it('never loses more than the record a random byte change touches', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 12 * FRAME - 1 }),
          fc.integer({ min: 1, max: 255 }),
          async (position, xor) => {
            removeSegments();
            const { path } = await closedSpoolOfTwelve();
            const [byte] = readFileSync(path).subarray(position, position + 1);
            overwrite(path, position, Buffer.from([byte! ^ xor]));
            const touched = Math.floor(position / FRAME);

            const reopened = await open(options);
            expect(ids(await drain(reopened.spool))).toEqual(range(0, 12).filter((id) => id !== touched));
            expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: FRAME }]);
            await reopened.spool.close();
          },
        ),
        { numRuns: 40 },
      );

      function removeSegments(): void {
        for (const name of readdirSync(fixture.dir)) rmSync(join(fixture.dir, name));
      }
    });
  });

  describe('cursor file', () => {
    async function spoolWithCursor() {
      const { spool } = await open({ segmentBytes: 10 * FRAME });
      await appendAll(spool, 0, 20);
      // Acknowledges the whole first segment (deleted) and three records of the second.
      await spool.ack((await spool.peek(13))[12]!);
      await spool.close();
      expect(ids(await peekAll((await open({ segmentBytes: 10 * FRAME })).spool))).toEqual(range(13, 20));
    }

    it('replays from the oldest segment when the cursor is garbage, and says so', async () => {
      await spoolWithCursor();
      writeFileSync(join(fixture.dir, 'cursor'), 'garbage that is not a cursor');

      const reopened = await open({ segmentBytes: 10 * FRAME });
      expect(ids(await peekAll(reopened.spool))).toEqual(range(10, 20));
      expect(reopened.spool.stats.cursorResets).toBe(1);
      expect(reopened.warnings.map((warning) => warning.message)).toEqual([
        expect.stringContaining('cursor unreadable'),
      ]);
      // The next acknowledgment writes a good cursor again.
      await reopened.spool.ack((await reopened.spool.peek(5))[4]!);
      await reopened.spool.close();
      const again = await open({ segmentBytes: 10 * FRAME });
      expect(again.spool.stats.cursorResets).toBe(0);
      expect(ids(await peekAll(again.spool))).toEqual(range(15, 20));
    });

    it('replays from the oldest segment when the cursor is empty or has a flipped bit', async () => {
      await spoolWithCursor();
      const cursor = join(fixture.dir, 'cursor');
      const good = readFileSync(cursor);
      flipBit(cursor, 14);
      const flipped = await open({ segmentBytes: 10 * FRAME });
      expect(ids(await peekAll(flipped.spool))).toEqual(range(10, 20));
      expect(flipped.spool.stats.cursorResets).toBe(1);

      writeFileSync(cursor, Buffer.alloc(0));
      const empty = await open({ segmentBytes: 10 * FRAME });
      expect(ids(await peekAll(empty.spool))).toEqual(range(10, 20));

      writeFileSync(cursor, good);
      const restored = await open({ segmentBytes: 10 * FRAME });
      expect(ids(await peekAll(restored.spool))).toEqual(range(13, 20));
    });
  });
});
