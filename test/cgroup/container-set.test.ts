import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ContainerChange,
  ContainerSet,
  FULL_WALK_EVERY,
} from '../../agent/sources/cgroup/container-set.js';
import { detectLayout } from '../../agent/sources/cgroup/mounts.js';
import { DEFAULT_PATTERNS } from '../../agent/sources/cgroup/patterns.js';
import { ProblemCounts } from '../../agent/sources/shared/problem-counts.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';

const log = new RateLimitedLog(pino({ level: 'silent' }));
const id = (n: number) => n.toString(16).padStart(64, '0');
const scope = (root: string, n: number) => join(root, 'system.slice', `docker-${id(n)}.scope`);

describe('ContainerSet', () => {
  let root = '';
  let set: ContainerSet | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'corral-set-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory\n');
    mkdirSync(scope(root, 1), { recursive: true });
  });
  afterEach(() => {
    set?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A set over root, and the changes it reports, awaited one by one. */
  function watchedSet(rescan: 'events' | 'interval') {
    const changes: ContainerChange[] = [];
    const waiters: (() => void)[] = [];
    set = new ContainerSet(
      () => detectLayout({ cgroupRoot: root }),
      {
        patterns: DEFAULT_PATTERNS,
        systemdServices: 'never',
        rescan,
        onChange: (change) => {
          changes.push(change);
          waiters.shift()?.();
        },
      },
      log,
      new ProblemCounts(),
    );
    const nextChange = () => new Promise<void>((resolve) => waiters.push(resolve));
    return { set, changes, nextChange };
  }

  it('events: learns of a container started and stopped without a scrape, from inotify', async () => {
    const { set, changes, nextChange } = watchedSet('events');
    expect((await set.forScrape()).map((c) => c.id)).toEqual([id(1)]);
    expect(set.watchedDirs).toBe(2); // the root and system.slice
    const started = nextChange();
    mkdirSync(scope(root, 2));
    await started;
    expect(changes[1]?.added.map((c) => c.id)).toEqual([id(2)]);
    expect(set.size).toBe(2);
    expect(set.walks.event).toBeGreaterThanOrEqual(1);
    const stopped = nextChange();
    rmSync(scope(root, 1), { recursive: true });
    await stopped;
    expect(changes[2]?.removed.map((c) => c.id)).toEqual([id(1)]);
    expect((await set.forScrape()).map((c) => c.id)).toEqual([id(2)]);
  });

  it(`events: quiet scrapes skip the walk, and every ${FULL_WALK_EVERY}th walks anyway`, async () => {
    const { set } = watchedSet('events');
    for (let i = 0; i < FULL_WALK_EVERY; i++) await set.forScrape();
    expect(set.walks).toEqual({ interval: 1, event: 0 });
    await set.forScrape();
    expect(set.walks).toEqual({ interval: 2, event: 0 });
  });

  it('events: a new slice is watched after the walk that found it, so containers inside it are seen', async () => {
    const { set, changes, nextChange } = watchedSet('events');
    await set.forScrape();
    const pod = join(root, 'kubepods.slice', 'kubepods-pod94aaa027_f2e4_4c60_85f6_4f6bfbca3306.slice');
    mkdirSync(pod, { recursive: true });
    // The walk that follows the slice's appearance watches it: wait until it does.
    await expect.poll(() => set.watchedDirs, { timeout: 5000 }).toBe(4);
    const started = nextChange();
    mkdirSync(join(pod, `cri-containerd-${id(3)}.scope`));
    await started;
    expect(changes.at(-1)?.added.map((c) => `${c.runtime}:${c.id}`)).toEqual([`kubernetes:${id(3)}`]);
  });

  it('interval: walks on every scrape and watches nothing', async () => {
    const { set } = watchedSet('interval');
    await set.forScrape();
    mkdirSync(scope(root, 2));
    expect((await set.forScrape()).map((c) => c.id)).toEqual([id(1), id(2)]);
    expect(set.walks).toEqual({ interval: 2, event: 0 });
    expect(set.watchedDirs).toBe(0);
  });
});
