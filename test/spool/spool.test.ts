import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../lib/spool/spool.js';
import {
  appendAll,
  drain,
  frameBytes,
  ids,
  makeRecord,
  openSpool,
  peekAll,
  range,
  segmentFiles,
  useSpoolDir,
} from './helpers.js';

describe('Spool', () => {
  const fixture = useSpoolDir();
  const openTracked = fixture.open;

  it('returns [] from an empty spool', async () => {
    const { spool } = await openTracked();
    expect(await spool.peek(10)).toEqual([]);
    expect(spool.stats).toMatchObject({ bytes: 0, records: 0, segments: 0, appended: 0, acked: 0 });
  });

  it('replays in append order across several segment rolls, then deletes the delivered segments', async () => {
    const { spool } = await openTracked({ segmentBytes: 4096 });
    await appendAll(spool, 0, 100);
    expect(segmentFiles(fixture.dir).length).toBeGreaterThanOrEqual(6);
    expect(spool.stats).toMatchObject({ records: 100, appended: 100, bytes: 100 * frameBytes() });

    const delivered = await drain(spool, 7);
    expect(ids(delivered)).toEqual(range(0, 100));
    for (const entry of delivered) {
      const { position: _, ...record } = entry;
      expect(record).toEqual(makeRecord(entry.value.readUInt32BE(0)));
    }
    expect(spool.stats).toMatchObject({ records: 0, acked: 100, pendingBytes: 0 });
    // Only the segment still being appended to remains.
    expect(segmentFiles(fixture.dir)).toHaveLength(1);
    expect(await spool.peek(10)).toEqual([]);
  });

  it('keeps order when appends interleave with replay', async () => {
    const { spool } = await openTracked({ segmentBytes: 2048 });
    await appendAll(spool, 0, 30);
    const first = await spool.peek(10);
    await spool.ack(first.at(-1)!);
    await appendAll(spool, 30, 60);
    expect(ids([...first, ...(await drain(spool, 4))])).toEqual(range(0, 60));
  });

  it('keeps call order for appends that are not awaited one by one', async () => {
    const { spool } = await openTracked({ segmentBytes: 2048 });
    await Promise.all(range(0, 200).map((id) => spool.append(makeRecord(id))));
    expect(ids(await drain(spool, 50))).toEqual(range(0, 200));
  });

  it('settles each of the appends queued together on its own', async () => {
    const { spool } = await openTracked({ segmentBytes: 2048 });
    const bad = { ...makeRecord(1), key: 'not a buffer' } as unknown as SpoolRecord;
    const settled = await Promise.allSettled([
      spool.append(makeRecord(0)),
      spool.append(bad),
      ...range(2, 40).map((id) => spool.append(makeRecord(id))),
    ]);
    expect(settled.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      ...range(2, 40).map(() => 'fulfilled'),
    ]);
    expect(spool.stats).toMatchObject({ appended: 39, records: 39 });
    expect(ids(await drain(spool))).toEqual([0, ...range(2, 40)]);
  });

  it('peek returns the same records until they are acknowledged', async () => {
    const { spool } = await openTracked();
    await appendAll(spool, 0, 10);
    expect(ids(await spool.peek(4))).toEqual([0, 1, 2, 3]);
    expect(ids(await spool.peek(4))).toEqual([0, 1, 2, 3]);
    await spool.ack((await spool.peek(2))[1]!);
    expect(ids(await spool.peek(4))).toEqual([2, 3, 4, 5]);
  });

  it('reads ahead after a given entry, across segments, and acknowledges in order', async () => {
    const { spool } = await openTracked({ segmentBytes: 1024 });
    await appendAll(spool, 0, 30);
    const first = await spool.peek(7);
    const second = await spool.peek(7, Number.POSITIVE_INFINITY, first.at(-1));
    const third = await spool.peek(100, Number.POSITIVE_INFINITY, second.at(-1));
    expect([ids(first), ids(second), ids(third)]).toEqual([range(0, 7), range(7, 14), range(14, 30)]);
    // Nothing is acknowledged by reading ahead.
    expect(ids(await spool.peek(3))).toEqual([0, 1, 2]);
    expect(await spool.peek(5, Number.POSITIVE_INFINITY, third.at(-1))).toEqual([]);

    await spool.ack(first.at(-1)!);
    await spool.ack(second.at(-1)!);
    expect(spool.stats).toMatchObject({ acked: 14, records: 16 });
    // After an entry already acknowledged: from the acknowledgment on.
    expect(ids(await spool.peek(3, Number.POSITIVE_INFINITY, first.at(-1)))).toEqual([14, 15, 16]);
    await appendAll(spool, 30, 33);
    expect(ids(await spool.peek(10, Number.POSITIVE_INFINITY, third.at(-1)))).toEqual([30, 31, 32]);
    await spool.ack(third.at(-1)!);
    expect(spool.stats).toMatchObject({ acked: 30, records: 3 });
    expect(ids(await drain(spool))).toEqual([30, 31, 32]);
  });

  it('bounds a peek by bytes but always returns at least one record', async () => {
    const { spool } = await openTracked();
    await appendAll(spool, 0, 10);
    expect(ids(await spool.peek(10, 1))).toEqual([0]);
    expect(ids(await spool.peek(10, 3 * frameBytes()))).toEqual([0, 1, 2]);
    expect(ids(await spool.peek(10, 4 * frameBytes() - 1))).toEqual([0, 1, 2]);
    expect(await spool.peek(0)).toEqual([]);
  });

  it('ignores an acknowledgment of records already acknowledged', async () => {
    const { spool } = await openTracked({ segmentBytes: 1024 });
    await appendAll(spool, 0, 20);
    const entries = await spool.peek(10);
    await spool.ack(entries[8]!);
    await spool.ack(entries[8]!);
    await spool.ack(entries[2]!);
    expect(spool.stats.acked).toBe(9);
    expect(ids(await spool.peek(3))).toEqual([9, 10, 11]);
  });

  it('round-trips a 1 MiB value byte for byte, also after a restart', async () => {
    const big = randomBytes(1 << 20);
    // Larger than a segment: it gets one of its own.
    const { spool } = await openTracked({ segmentBytes: 256 * 1024, maxBytes: 8 << 20 });
    await spool.append(makeRecord(0));
    await spool.append({ topic: 'big', key: null, value: big, timeMs: 42 });
    await spool.append(makeRecord(2));
    const entries = await peekAll(spool);
    expect(entries).toHaveLength(3);
    expect(entries[1]!.value.equals(big)).toBe(true);
    expect(entries[1]!.key).toBeNull();
    expect(entries[1]!.topic).toBe('big');
    await spool.close();

    const { spool: reopened } = await openTracked({ segmentBytes: 256 * 1024, maxBytes: 8 << 20 });
    const replayed = await peekAll(reopened);
    expect(replayed[1]!.value.equals(big)).toBe(true);
    expect(replayed[1]!.timeMs).toBe(42);
  });

  it('keeps a null key and an empty key apart', async () => {
    const { spool } = await openTracked();
    await spool.append({ topic: 't', key: null, value: Buffer.from('a'), timeMs: 1 });
    await spool.append({ topic: 't', key: Buffer.alloc(0), value: Buffer.alloc(0), timeMs: 2 });
    const [nullKey, emptyKey] = await spool.peek(2);
    expect(nullKey!.key).toBeNull();
    expect(emptyKey!.key).toEqual(Buffer.alloc(0));
    expect(emptyKey!.value).toEqual(Buffer.alloc(0));
  });

  describe('restart', () => {
    it('resumes at the cursor after close and reopen', async () => {
      const { spool } = await openTracked({ segmentBytes: 2048 });
      await appendAll(spool, 0, 50);
      const batch = await spool.peek(20);
      await spool.ack(batch.at(-1)!);
      await spool.close();

      const { spool: reopened } = await openTracked({ segmentBytes: 2048 });
      expect(reopened.stats.records).toBe(30);
      expect(ids(await peekAll(reopened))).toEqual(range(20, 50));
      await appendAll(reopened, 50, 60);
      expect(ids(await drain(reopened))).toEqual(range(20, 60));
    });

    it('resumes at the cursor after a crash (the spool dropped without close)', async () => {
      const crashed = await openSpool(fixture.dir, { segmentBytes: 2048 });
      await appendAll(crashed.spool, 0, 50);
      await crashed.spool.ack((await crashed.spool.peek(23))[22]!);
      // No close(): as if the process died here. Its files stay as they are.
      const { spool: reopened } = await openTracked({ segmentBytes: 2048 });
      expect(ids(await peekAll(reopened))).toEqual(range(23, 50));
      await appendAll(reopened, 50, 55);
      expect(ids(await drain(reopened))).toEqual(range(23, 55));
      fixture.track(crashed.spool);
    });

    it('replays appended but unacknowledged records again (at least once)', async () => {
      const { spool } = await openTracked({ segmentBytes: 2048 });
      await appendAll(spool, 0, 30);
      await spool.ack((await spool.peek(5))[4]!);
      // Peeked, maybe even delivered, but not acknowledged: these come back.
      expect(ids(await spool.peek(20))).toEqual(range(5, 25));
      await spool.close();

      const { spool: reopened } = await openTracked({ segmentBytes: 2048 });
      expect(ids(await peekAll(reopened))).toEqual(range(5, 30));
      await reopened.ack((await reopened.peek(3))[2]!);
      await reopened.close();

      const { spool: again } = await openTracked({ segmentBytes: 2048 });
      expect(ids(await peekAll(again))).toEqual(range(8, 30));
    });

    it('deletes segments the cursor has passed that a crash left behind', async () => {
      const { spool } = await openTracked({ segmentBytes: 2048 });
      await appendAll(spool, 0, 30);
      const [oldest] = segmentFiles(fixture.dir);
      const oldestSegment = readFileSync(join(fixture.dir, oldest!));
      await spool.ack((await spool.peek(25))[24]!);
      await spool.close();
      // As if the process had died after writing the cursor but before unlinking the segment.
      writeFileSync(join(fixture.dir, oldest!), oldestSegment);

      const { spool: reopened } = await openTracked({ segmentBytes: 2048 });
      expect(ids(await peekAll(reopened))).toEqual(range(25, 30));
      expect(segmentFiles(fixture.dir)).not.toContain(oldest);
    });

    it('numbers new segments past every old one, so none is mistaken for acknowledged', async () => {
      const { spool } = await openTracked({ segmentBytes: 1024 });
      await appendAll(spool, 0, 20);
      await drain(spool);
      await spool.close();
      // This open deletes the last, fully acknowledged segment: only the cursor remembers its number.
      await (await openTracked({ segmentBytes: 1024 })).spool.close();
      expect(segmentFiles(fixture.dir)).toEqual([]);
      const { spool: reopened } = await openTracked({ segmentBytes: 1024 });
      await appendAll(reopened, 20, 25);
      await reopened.close();
      const { spool: again } = await openTracked({ segmentBytes: 1024 });
      expect(ids(await peekAll(again))).toEqual(range(20, 25));
    });

    it('removes empty segments and a stale temporary cursor, and leaves other files alone', async () => {
      writeFileSync(join(fixture.dir, '0000000000000007.seg'), '');
      writeFileSync(join(fixture.dir, 'cursor.tmp'), 'half-written');
      writeFileSync(join(fixture.dir, 'notes.txt'), 'not ours');
      const { spool } = await openTracked();
      expect(spool.stats.segments).toBe(0);
      await spool.append(makeRecord(1));
      expect(segmentFiles(fixture.dir)).toEqual(['0000000000000008.seg']);
      expect(ids(await peekAll(spool))).toEqual([1]);
      expect(readdirSync(fixture.dir)).toContain('notes.txt');
      expect(readdirSync(fixture.dir)).not.toContain('cursor.tmp');
    });
  });

  describe('argument checks', () => {
    it('rejects segmentBytes above maxBytes', async () => {
      await expect(
        Spool.open({ dir: fixture.dir, maxBytes: 1000, segmentBytes: 2000, fsync: 'never' }),
      ).rejects.toThrow(RangeError);
    });

    it('rejects a record larger than maxBytes and keeps working', async () => {
      const { spool } = await openTracked({ maxBytes: 4096, segmentBytes: 4096 });
      await expect(spool.append(makeRecord(0, 5000))).rejects.toThrow(RangeError);
      await spool.append(makeRecord(1));
      expect(ids(await peekAll(spool))).toEqual([1]);
    });

    it('rejects calls after close', async () => {
      const { spool } = await openTracked();
      await spool.close();
      await expect(spool.append(makeRecord(0))).rejects.toThrow('closed');
      await expect(spool.peek(1)).rejects.toThrow('closed');
      await spool.close();
    });
  });
});
