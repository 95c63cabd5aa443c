import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../../lib/spool/spool.js';
import { appendAll, drain, ids, makeTempDir, openSpool, peekAll, range, removeDir } from './helpers.js';

describe.each<FsyncPolicy>(['always', 'interval', 'never'])('Spool with fsync %s', (fsync) => {
  let dir = '';
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('spools, acknowledges and reopens', async () => {
    // A 1 ms interval so the background fsync runs alongside the appends.
    const options = { fsync, fsyncIntervalMs: 1, segmentBytes: 2048 };
    const { spool } = await openSpool(dir, options);
    await appendAll(spool, 0, 40);
    await spool.ack((await spool.peek(15))[14]!);
    await appendAll(spool, 40, 50);
    await spool.close();
    expect(spool.stats.syncErrors).toBe(0);

    const { spool: reopened } = await openSpool(dir, options);
    expect(ids(await peekAll(reopened))).toEqual(range(15, 50));
    expect(ids(await drain(reopened))).toEqual(range(15, 50));
    await reopened.close();
  });
});
