import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryWatcher } from '../../agent/sources/cgroup/watcher.js';

// Real inotify on real directories. Waits are on onChange calls (with a timeout), never on sleeps;
// "nothing arrived" is shown by a later event, from the same inotify queue, arriving first.

/** Records onChange calls and lets a test await one that includes a given path. */
class ChangeLog {
  readonly calls: string[][] = [];
  private readonly waiters = new Set<() => void>();

  readonly onChange = (changed: readonly string[]): void => {
    this.calls.push([...changed]);
    for (const wake of [...this.waiters]) wake();
  };

  /** Resolves with the first call from index `from` on (made already or later) that includes path. */
  waitFor(path: string, from = 0, timeoutMs = 5000): Promise<string[]> {
    const find = () => this.calls.slice(from).find((call) => call.includes(path));
    return new Promise((resolve, reject) => {
      const wake = () => {
        const call = find();
        if (call === undefined) return;
        this.waiters.delete(wake);
        clearTimeout(timeout);
        resolve(call);
      };
      const timeout = setTimeout(() => {
        this.waiters.delete(wake);
        reject(
          new Error(`no onChange with ${path} in ${timeoutMs} ms; calls: ${JSON.stringify(this.calls)}`),
        );
      }, timeoutMs);
      this.waiters.add(wake);
      wake();
    });
  }
}

const memoryRoot = '/sys/fs/cgroup/memory';

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The inotify watches this process holds, from /proc/self/fdinfo: shows a dropped watch is released. */
function kernelWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      count += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // The fd closed since the listing (it was the listing's own, or another test's).
    }
  }
  return count;
}

const hasFdinfo = existsSync('/proc/self/fdinfo');

const canMakeCgroups = process.getuid?.() === 0 && writable(memoryRoot);

describe('DirectoryWatcher', () => {
  let root: string;
  const opened: DirectoryWatcher[] = [];

  /** A watcher closed after the test, whatever happens. */
  function watcher(options: ConstructorParameters<typeof DirectoryWatcher>[0]): DirectoryWatcher {
    const created = new DirectoryWatcher(options);
    opened.push(created);
    return created;
  }

  function dir(...names: string[]): string {
    const path = join(root, ...names);
    mkdirSync(path);
    return path;
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'corral-watcher-'));
  });

  afterEach(() => {
    for (const created of opened.splice(0)) created.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports a mkdir, then an rmdir, once each with the full path', async () => {
    const log = new ChangeLog();
    watcher({ onChange: log.onChange }).watch([root]);
    const child = dir('child');
    await log.waitFor(child);
    rmdirSync(child);
    await log.waitFor(child, 1);
    const sentinel = dir('sentinel');
    await log.waitFor(sentinel);
    // The sentinel came after both, from the same queue: there was no second call for either.
    expect(log.calls).toEqual([[child], [child], [sentinel]]);
  });

  it('delivers a mkdir and rmdir within one window as one call with the path once', async () => {
    const log = new ChangeLog();
    watcher({ onChange: log.onChange }).watch([root]);
    const child = dir('child');
    rmdirSync(child);
    await log.waitFor(child);
    const sentinel = dir('sentinel');
    await log.waitFor(sentinel);
    expect(log.calls).toEqual([[child], [sentinel]]);
  });

  it('gathers several mkdirs within the window into one call', async () => {
    const log = new ChangeLog();
    watcher({ onChange: log.onChange, debounceMs: 100 }).watch([root]);
    const made = [dir('a'), dir('b'), dir('c')];
    const call = await log.waitFor(made[0]!);
    expect([...call].sort()).toEqual(made);
    expect(log.calls).toHaveLength(1);
  });

  it('stops reporting a directory dropped from the set', async () => {
    const a = dir('a');
    const b = dir('b');
    const log = new ChangeLog();
    const watching = watcher({ onChange: log.onChange });
    watching.watch([a, b]);
    expect(watching.size).toBe(2);
    watching.watch([b]);
    expect(watching.size).toBe(1);
    dir('a', 'x');
    const inB = dir('b', 'y');
    await log.waitFor(inB);
    expect(log.calls.flat()).toEqual([inB]);
  });

  it('skips a directory that does not exist, reporting ENOENT', () => {
    const missing = join(root, 'missing');
    const errors: [string, string][] = [];
    const watching = watcher({ onChange: () => {}, onError: (d, code) => errors.push([d, code]) });
    expect(() => watching.watch([missing, root])).not.toThrow();
    expect(errors).toEqual([[missing, 'ENOENT']]);
    expect(watching.size).toBe(1);
  });

  it('drops the watch of a removed directory, reported by its parent, without an error', async () => {
    const child = dir('child');
    const log = new ChangeLog();
    const errors: [string, string][] = [];
    const watching = watcher({ onChange: log.onChange, onError: (d, code) => errors.push([d, code]) });
    watching.watch([root, child]);
    expect(watching.size).toBe(2);
    expect(() => rmdirSync(child)).not.toThrow();
    expect(await log.waitFor(child)).toEqual([child]);
    expect(watching.size).toBe(1);
    expect(errors).toEqual([]);

    // The same name made again is a new directory: watch() takes it up and its events arrive.
    const before = log.calls.length;
    mkdirSync(child);
    await log.waitFor(child, before);
    watching.watch([root, child]);
    expect(watching.size).toBe(2);
    const grandchild = dir('child', 'x');
    await log.waitFor(grandchild);
  });

  it.skipIf(!hasFdinfo)('releases the kernel watches of dropped directories and on close()', () => {
    const dirs = [dir('a'), dir('b'), dir('c')];
    const baseline = kernelWatches();
    const watching = watcher({ onChange: () => {} });
    watching.watch(dirs);
    expect(kernelWatches()).toBe(baseline + 3);
    watching.watch(dirs.slice(2));
    expect(kernelWatches()).toBe(baseline + 1);
    watching.close();
    expect(kernelWatches()).toBe(baseline);
    watching.watch(dirs);
    expect(watching.size).toBe(0);
  });

  it('watches no more than maxWatches directories and counts the rest', () => {
    const dirs = [dir('a'), dir('b'), dir('c')];
    const watching = watcher({ onChange: () => {}, maxWatches: 2 });
    watching.watch(dirs);
    expect(watching.size).toBe(2);
    expect(watching.unwatched).toBe(1);
    watching.watch(dirs.slice(1));
    expect(watching.size).toBe(2);
    expect(watching.unwatched).toBe(0);
  });

  it('reports nothing after close(), including a window still pending', async () => {
    const a = dir('a');
    const b = dir('b');
    const closedLog = new ChangeLog();
    const toClose = watcher({ onChange: closedLog.onChange, debounceMs: 100 });
    toClose.watch([a]);
    // Same queue as toClose: when probe hears of a/x, toClose has a window open for it.
    const probeLog = new ChangeLog();
    watcher({ onChange: probeLog.onChange, debounceMs: 1 }).watch([a]);
    // A longer window opened by the same event: it ends after toClose's would have.
    const laterLog = new ChangeLog();
    watcher({ onChange: laterLog.onChange, debounceMs: 300 }).watch([a, b]);

    const pendingChild = dir('a', 'x');
    await probeLog.waitFor(pendingChild);
    toClose.close();
    toClose.close();
    expect(toClose.size).toBe(0);
    await laterLog.waitFor(pendingChild);

    dir('a', 'y');
    const sentinel = dir('b', 'sentinel');
    await laterLog.waitFor(sentinel);
    expect(closedLog.calls).toEqual([]);
  });

  it.skipIf(!canMakeCgroups)(
    'reports a cgroup made and removed under the live memory hierarchy',
    async () => {
      const cgroup = `${memoryRoot}/corral-watch-test-${process.pid}`;
      const log = new ChangeLog();
      const watching = watcher({ onChange: log.onChange });
      try {
        watching.watch([memoryRoot]);
        expect(watching.size).toBe(1);
        mkdirSync(cgroup);
        // Other writers (cgroup.procs) may share the call; ours must be in it.
        await log.waitFor(cgroup);

        // cgroupfs tells only the parent of an rmdir; the child's watch is dropped all the same.
        watching.watch([memoryRoot, cgroup]);
        expect(watching.size).toBe(2);
        const before = log.calls.length;
        rmdirSync(cgroup);
        await log.waitFor(cgroup, before);
        expect(watching.size).toBe(1);
      } finally {
        watching.close();
        if (existsSync(cgroup)) rmdirSync(cgroup);
      }
    },
  );
});
