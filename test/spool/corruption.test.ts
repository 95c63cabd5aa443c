import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpoolEntry } from '../../agent/sinks/kafka/spool/spool.js';
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

    it('replays what precedes a flipped bit, skips the rest of that segment and replays the next', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      await spool.close();
      const damaged = entryWithId(entries, 7);
      flipBit(middle, damaged.position.offset + FRAME - 10);

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: 3 * FRAME }]);
      expect(ids(await drain(reopened.spool))).toEqual([...range(0, 7), ...range(10, 15)]);
      expect(reopened.warnings).toHaveLength(1);
    });

    it('treats an impossible length the same way', async () => {
      const { spool, entries, middle } = await spoolOfThreeSegments();
      await spool.close();
      overwrite(middle, entryWithId(entries, 6).position.offset + 1, Buffer.from([0xff, 0xff, 0xff, 0x00]));

      const reopened = await open(options);
      expect(reopened.drops).toEqual([{ reason: 'corrupt', records: 1, bytes: 4 * FRAME }]);
      expect(ids(await peekAll(reopened.spool))).toEqual([...range(0, 6), ...range(10, 15)]);
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
