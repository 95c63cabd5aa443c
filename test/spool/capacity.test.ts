import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spool } from '../../lib/spool/spool.js';
import {
  appendAll,
  drain,
  frameBytes,
  ids,
  makeRecord,
  makeTempDir,
  openSpool,
  peekAll,
  range,
  removeDir,
  segmentFiles,
} from './helpers.js';

const FRAME = frameBytes();
// Ten records fill a segment exactly; the spool holds three segments.
const SEGMENT = 10 * FRAME;
const CAPACITY = { segmentBytes: SEGMENT, maxBytes: 3 * SEGMENT };

describe('Spool capacity', () => {
  let dir = '';
  let spool: Spool | undefined;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(async () => {
    await spool?.close();
    removeDir(dir);
  });

  it('drops the oldest segments, counts exactly the dropped records and keeps the newest in order', async () => {
    const opened = await openSpool(dir, CAPACITY);
    spool = opened.spool;
    await appendAll(spool, 0, 100);

    expect(opened.drops).toEqual(
      Array.from({ length: 7 }, () => ({ reason: 'full', records: 10, bytes: SEGMENT })),
    );
    expect(spool.stats).toMatchObject({
      records: 30,
      segments: 3,
      bytes: 3 * SEGMENT,
      dropped: { full: 70, corrupt: 0 },
      droppedBytes: { full: 70 * FRAME, corrupt: 0 },
    });
    expect(segmentFiles(dir)).toHaveLength(3);
    expect(ids(await drain(spool))).toEqual(range(70, 100));
  });

  it('drops the same way for appends queued together (written in one go per segment)', async () => {
    const opened = await openSpool(dir, CAPACITY);
    spool = opened.spool;
    await Promise.all(range(0, 100).map((id) => spool!.append(makeRecord(id))));

    expect(opened.drops).toEqual(
      Array.from({ length: 7 }, () => ({ reason: 'full', records: 10, bytes: SEGMENT })),
    );
    expect(spool.stats).toMatchObject({ records: 30, segments: 3, bytes: 3 * SEGMENT });
    expect(ids(await drain(spool))).toEqual(range(70, 100));
  });

  it('never goes over maxBytes on disk', async () => {
    const opened = await openSpool(dir, CAPACITY);
    spool = opened.spool;
    for (let id = 0; id < 100; id++) {
      await appendAll(spool, id, id + 1);
      expect(spool.stats.bytes).toBeLessThanOrEqual(CAPACITY.maxBytes);
    }
  });

  it('counts only the unacknowledged records of a dropped segment', async () => {
    const opened = await openSpool(dir, CAPACITY);
    spool = opened.spool;
    await appendAll(spool, 0, 30);
    const peeked = await spool.peek(8);
    await spool.ack(peeked[4]!);
    await appendAll(spool, 30, 31);

    expect(opened.drops).toEqual([{ reason: 'full', records: 5, bytes: 5 * FRAME }]);
    expect(spool.stats).toMatchObject({ acked: 5, records: 21, dropped: { full: 5 } });
    // Entries peeked from the dropped segment: acknowledging them now changes nothing.
    await spool.ack(peeked[7]!);
    expect(spool.stats.acked).toBe(5);
    expect(ids(await peekAll(spool))).toEqual(range(10, 31));
  });

  it('keeps the survivors across a restart', async () => {
    const first = await openSpool(dir, CAPACITY);
    await appendAll(first.spool, 0, 55);
    await first.spool.close();
    const opened = await openSpool(dir, CAPACITY);
    spool = opened.spool;
    expect(opened.drops).toEqual([]);
    expect(ids(await peekAll(spool))).toEqual(range(30, 55));
    await appendAll(spool, 55, 70);
    expect(opened.drops).toEqual([{ reason: 'full', records: 10, bytes: SEGMENT }]);
    expect(ids(await peekAll(spool))).toEqual(range(40, 70));
  });
});
