import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { ProblemCounts } from '../shared/problem-counts.js';
import {
  type DiscoveredContainer,
  type DiscoveryResult,
  diffContainers,
  discoverContainers,
} from './discovery.js';
import type { CgroupLayout } from './mounts.js';
import type { ContainerPattern } from './patterns.js';
import { DirectoryWatcher } from './watcher.js';

export interface ContainerSetOptions {
  patterns: readonly ContainerPattern[];
  /** Report systemd services as tasks: auto does when no container runtime is found. */
  systemdServices: 'auto' | 'always' | 'never';
  /** events: walk when directories appear or vanish, and every FULL_WALK_EVERY scrapes; interval: every scrape. */
  rescan: 'events' | 'interval';
  /** Called after a walk that found containers started or stopped. */
  onChange?: (change: ContainerChange) => void;
}

export interface ContainerChange {
  added: DiscoveredContainer[];
  removed: DiscoveredContainer[];
  containers: readonly DiscoveredContainer[];
}

/**
 * Walks this often even while the watcher reports nothing: inotify events can be lost (a
 * full event queue, the watch limit, a directory deeper than the walk lists).
 */
export const FULL_WALK_EVERY = 6;

/** Walks by what caused them (corral_cgroup_walks_total). */
export interface WalkCounts {
  /** Every scrape (rescan interval), the first scrape, and the periodic full walk. */
  interval: number;
  /** Directories appeared or vanished. */
  event: number;
}

/**
 * The containers of a node, kept current: the cgroup tree is walked when inotify reports a
 * directory made or removed where containers appear (and at least every FULL_WALK_EVERY
 * scrapes), so a new container is known within the watcher's debounce window instead of at
 * the next interval, and a quiet node's scrapes skip the walk. One walk runs at a time.
 */
export class ContainerSet {
  private current: DiscoveredContainer[] = [];
  /** By cgroup path: a container still listed skips the per-hierarchy stat. */
  private known = new Map<string, DiscoveredContainer>();
  private readonly watcher: DirectoryWatcher | undefined;
  private walking: Promise<DiscoveredContainer[]> | undefined;
  private queued: Promise<DiscoveredContainer[]> | undefined;
  /** Something changed since the last walk began. */
  private dirty = true;
  private scrapesSinceWalk = 0;
  readonly walks: WalkCounts = { interval: 0, event: 0 };

  constructor(
    private readonly layout: () => Promise<CgroupLayout>,
    private readonly options: ContainerSetOptions,
    private readonly log: RateLimitedLog,
    private readonly problems: ProblemCounts,
  ) {
    if (options.rescan === 'events') {
      this.watcher = new DirectoryWatcher({
        onChange: () => this.changed(),
        onError: (dir, code) =>
          this.log.warn(
            `cgroup_watch_${code}`,
            { source: 'cgroup', path: dir, code },
            'cannot watch cgroup directory; it is rescanned every interval',
          ),
      });
    }
  }

  /** The containers found by the last walk. */
  get list(): readonly DiscoveredContainer[] {
    return this.current;
  }

  /** Containers found by the last walk. */
  get size(): number {
    return this.current.length;
  }

  /** Directories watched for containers appearing or vanishing. */
  get watchedDirs(): number {
    return this.watcher?.size ?? 0;
  }

  /** The containers for a scrape: walks first unless the watcher says nothing changed. */
  forScrape(): Promise<readonly DiscoveredContainer[]> {
    this.scrapesSinceWalk++;
    const quiet =
      this.watcher !== undefined &&
      !this.dirty &&
      this.scrapesSinceWalk < FULL_WALK_EVERY &&
      this.watcher.unwatched === 0;
    if (quiet) return Promise.resolve(this.current);
    return this.walk('interval');
  }

  close(): void {
    this.watcher?.close();
  }

  private changed(): void {
    this.dirty = true;
    this.walk('event').catch((err: unknown) =>
      this.log.error('cgroup_walk_failed', { source: 'cgroup', err }, 'cgroup rescan failed'),
    );
  }

  /**
   * Joins the walk under way, unless a change came after it began: then one more walk is
   * queued behind it, which later callers join too.
   */
  private walk(trigger: keyof WalkCounts): Promise<DiscoveredContainer[]> {
    const running = this.walking;
    if (running === undefined) return this.start(trigger);
    if (!this.dirty) return running;
    this.queued ??= running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start(trigger);
      });
    return this.queued;
  }

  private start(trigger: keyof WalkCounts): Promise<DiscoveredContainer[]> {
    const walk = this.walkNow(trigger);
    this.walking = walk;
    const clear = () => {
      if (this.walking === walk) this.walking = undefined;
    };
    walk.then(clear, clear);
    return walk;
  }

  private async walkNow(trigger: keyof WalkCounts): Promise<DiscoveredContainer[]> {
    this.dirty = false;
    this.scrapesSinceWalk = 0;
    this.walks[trigger]++;
    const found = await this.discover(await this.layout());
    this.watcher?.watch(found.listed);
    const previous = this.current;
    this.current = found.containers;
    this.known = new Map(found.containers.map((c) => [c.path, c]));
    const { added, removed } = diffContainers(previous, found.containers);
    if (added.length > 0 || removed.length > 0) {
      this.options.onChange?.({ added, removed, containers: found.containers });
    }
    return found.containers;
  }

  private async discover(layout: CgroupLayout): Promise<DiscoveryResult> {
    const { systemdServices, patterns } = this.options;
    const known = this.known;
    let found = await discoverContainers(layout, {
      includeSystemd: systemdServices === 'always',
      known,
      patterns,
    });
    if (systemdServices === 'auto' && found.containers.length === 0) {
      found = await discoverContainers(layout, { includeSystemd: true, known, patterns });
    }
    for (const error of found.errors) {
      this.problems.add('cgroup', 'unreadable');
      this.log.warn(
        `cgroup_walk_${error.code}`,
        { source: 'cgroup', ...error },
        'cgroup directory unreadable',
      );
    }
    return found;
  }
}
