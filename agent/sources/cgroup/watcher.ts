/**
 * Tells the cgroup source promptly when directories appear or vanish in the hierarchies it walks,
 * so a rescan need not wait for the next interval. One non-recursive inotify watch (fs.watch) per
 * directory; after every walk the caller hands over the whole set it wants watched.
 */

import { type FSWatcher, statSync, type WatchEventType, watch as watchDirectory } from 'node:fs';
import { basename } from 'node:path';

export interface DirectoryWatcherOptions {
  /** The full paths that changed within one debounce window, each once. */
  onChange: (changed: readonly string[]) => void;
  /** How long events are gathered before onChange is called. Default 50 ms. */
  debounceMs?: number;
  /** Most directories watched at once; the kernel's inotify watch limit is per user. Default 2048. */
  maxWatches?: number;
  /** A directory that could not be watched, or whose watch failed, with the errno code. */
  onError?: (dir: string, code: string) => void;
}

interface Watch {
  watcher: FSWatcher;
  /** The directory's inode when its watch began: a directory made since under the same name is another. */
  inode: bigint;
}

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
}

export class DirectoryWatcher {
  private readonly onChange: (changed: readonly string[]) => void;
  private readonly onError: ((dir: string, code: string) => void) | undefined;
  private readonly debounceMs: number;
  private readonly maxWatches: number;
  private readonly watches = new Map<string, Watch>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private skippedForLimit = 0;

  constructor(options: DirectoryWatcherOptions) {
    this.onChange = options.onChange;
    this.onError = options.onError;
    this.debounceMs = options.debounceMs ?? 50;
    this.maxWatches = options.maxWatches ?? 2048;
  }

  /** Watches open now. */
  get size(): number {
    return this.watches.size;
  }

  /** Directories the last watch() left unwatched because maxWatches was reached. */
  get unwatched(): number {
    return this.skippedForLimit;
  }

  /** Makes the watched set exactly dirs (up to maxWatches); does nothing once closed. */
  watch(dirs: Iterable<string>): void {
    if (this.closed) return;
    const wanted = new Set(dirs);
    // Close the dropped ones first, so their slots count toward maxWatches for the new ones.
    for (const dir of [...this.watches.keys()]) if (!wanted.has(dir)) this.drop(dir);
    this.skippedForLimit = 0;
    for (const dir of wanted) {
      if (this.watches.has(dir)) continue;
      if (this.watches.size >= this.maxWatches) {
        this.skippedForLimit++;
        continue;
      }
      this.add(dir);
    }
  }

  /** Closes every watch and forgets changes not yet delivered. Idempotent. */
  close(): void {
    this.closed = true;
    for (const dir of [...this.watches.keys()]) this.drop(dir);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private add(dir: string): void {
    let watch: Watch;
    try {
      // Inode first, then the watch: if the directory is replaced in between, the watch is on the new
      // one and a later check only drops it needlessly (the caller rescans), never keeps a dead one.
      const inode = statSync(dir, { bigint: true }).ino;
      const watcher = watchDirectory(dir, { persistent: false }, (eventType, filename) =>
        this.handleEvent(dir, watch, eventType, filename),
      );
      watch = { watcher, inode };
    } catch (error) {
      // ENOENT: gone since the walk listed it; EMFILE, ENOSPC: inotify limits; EACCES.
      this.onError?.(dir, errnoCode(error));
      return;
    }
    watch.watcher.on('error', (error) => {
      if (this.watches.get(dir) !== watch) return;
      this.drop(dir);
      this.onError?.(dir, errnoCode(error));
    });
    this.watches.set(dir, watch);
  }

  private drop(dir: string): void {
    this.watches.get(dir)?.watcher.close();
    this.watches.delete(dir);
  }

  private handleEvent(dir: string, watch: Watch, eventType: WatchEventType, filename: string | null): void {
    // Events still queued for a watch closed or replaced since.
    if (this.watches.get(dir) !== watch) return;
    // Only a name appearing or vanishing is a change of the tree; writes to a cgroup's files
    // (something adding a process to cgroup.procs) come as 'change' and are not.
    if (eventType !== 'rename') return;
    let changed = filename === null ? dir : `${dir}/${filename}`;
    if (filename !== null) {
      // cgroupfs tells only the parent when a directory is removed: drop the child's now idle watch.
      this.dropIfGone(changed);
      // Other filesystems tell the removed directory too, naming it by its own basename.
      if (filename === basename(dir) && this.dropIfGone(dir)) changed = dir;
    }
    this.pending.add(changed);
    // A fixed window from the first event, not restarted by later ones: steady churn is still reported.
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.debounceMs);
      this.timer.unref();
    }
  }

  /** Drops the watch of dir if dir is watched but no longer the directory that was; true if dropped. */
  private dropIfGone(dir: string): boolean {
    const watch = this.watches.get(dir);
    if (watch === undefined) return false;
    let inode: bigint | undefined;
    try {
      inode = statSync(dir, { bigint: true, throwIfNoEntry: false })?.ino;
    } catch {
      inode = undefined;
    }
    if (inode === watch.inode) return false;
    this.drop(dir);
    return true;
  }

  private flush(): void {
    this.timer = undefined;
    const changed = [...this.pending];
    // A fresh set before the callback: events it causes belong to the next window.
    this.pending = new Set();
    if (changed.length > 0) this.onChange(changed);
  }
}
