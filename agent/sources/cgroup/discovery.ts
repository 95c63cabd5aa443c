/**
 * Finds the containers on a node: walks the hierarchy that defines them and matches each
 * directory's path against the container patterns.
 */

import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupLayout } from './mounts.js';
import { type ContainerMatch, type ContainerPattern, DEFAULT_PATTERNS, matchContainer } from './patterns.js';

/** The hierarchies the metric readers use; others (cpuset, devices, ...) are not looked up. */
export type ContainerHierarchy = 'unified' | 'cpu' | 'cpuacct' | 'memory' | 'blkio' | 'pids';

export interface DiscoveredContainer extends ContainerMatch {
  /** The cgroup path relative to the hierarchy root, e.g. /system.slice/docker-<id>.scope. */
  path: string;
  /** The container's absolute directory in each hierarchy that has it (cpu and cpuacct may be one). */
  dirs: Partial<Record<ContainerHierarchy, string>>;
}

export interface DiscoveryError {
  /** The absolute directory that could not be listed. */
  path: string;
  /** The errno code, e.g. EACCES. */
  code: string;
}

export interface DiscoveryResult {
  /** Depth-first, siblings in code-unit order of their names. */
  containers: DiscoveredContainer[];
  errors: DiscoveryError[];
  /**
   * The absolute directories the walk listed: where a new container would appear, so the
   * ones to watch for changes (container directories themselves are not listed).
   */
  listed: string[];
}

export interface DiscoveryOptions {
  patterns?: readonly ContainerPattern[];
  /** Report systemd services as containers (hosts without an orchestrator). */
  includeSystemd?: boolean;
  /** Deepest directory visited, in path segments below the root (/a/b is 2). Default 8. */
  maxDepth?: number;
  /**
   * Containers found by the previous walk, by path: one still listed is taken as it was,
   * without a stat per hierarchy (a rescan every interval stays cheap). One that stopped
   * since is simply not listed any more.
   */
  known?: ReadonlyMap<string, DiscoveredContainer>;
}

const V1_HIERARCHIES = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'] as const;

/** Gone between the parent's listing and our read: the container stopped; not an error. */
function vanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** v2: the unified root; v1 and hybrid: memory, else cpu, else cpuacct. */
function walkRoot(layout: CgroupLayout): string {
  if (layout.mode === 'v2' && layout.unified !== null) return layout.unified;
  const root =
    layout.controllers.get('memory') ?? layout.controllers.get('cpu') ?? layout.controllers.get('cpuacct');
  if (root === undefined)
    throw new Error('cgroup layout has no memory, cpu or cpuacct hierarchy to discover from');
  return root;
}

/** Every hierarchy a container may have a directory in, with its mount point. */
function hierarchies(layout: CgroupLayout): [ContainerHierarchy, string][] {
  const list: [ContainerHierarchy, string][] = [];
  if (layout.unified !== null) list.push(['unified', layout.unified]);
  if (layout.mode === 'v2') return list;
  for (const name of V1_HIERARCHIES) {
    const mount = layout.controllers.get(name);
    if (mount !== undefined) list.push([name, mount]);
  }
  return list;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function discoverContainers(
  layout: CgroupLayout,
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const root = walkRoot(layout);
  const mounts = hierarchies(layout);
  const patterns = options.patterns ?? DEFAULT_PATTERNS;
  const matchOptions = { includeSystemd: options.includeSystemd === true };
  const maxDepth = options.maxDepth ?? 8;
  const containers: DiscoveredContainer[] = [];
  const errors: DiscoveryError[] = [];
  const listed: string[] = [];

  const list = async (relative: string): Promise<string[]> => {
    const dir = relative === '/' ? root : join(root, relative);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (!vanished(error))
        errors.push({ path: dir, code: (error as NodeJS.ErrnoException).code ?? 'UNKNOWN' });
      return [];
    }
    listed.push(dir);
    // cgroupfs has no symlinks; one in a copied or test tree is followed like a directory.
    return entries
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  };

  const found = async (match: ContainerMatch, path: string): Promise<boolean> => {
    const previous = options.known?.get(path);
    if (previous !== undefined) {
      containers.push(previous);
      return true;
    }
    const present = await Promise.all(
      mounts.map(
        async ([name, mount]) => [name, join(mount, path), await isDirectory(join(mount, path))] as const,
      ),
    );
    // Gone from the walked hierarchy since its parent was listed: the container has stopped.
    const walked = join(root, path);
    if (!present.some(([, dir, exists]) => exists && dir === walked)) return false;
    const dirs: DiscoveredContainer['dirs'] = {};
    for (const [name, dir, exists] of present) if (exists) dirs[name] = dir;
    containers.push({ ...match, path, dirs });
    return true;
  };

  const walk = async (relative: string, depth: number): Promise<void> => {
    for (const name of await list(relative)) {
      const path = `${relative === '/' ? '' : relative}/${name}`;
      const match = matchContainer(path, patterns, matchOptions);
      if (match === null) {
        if (depth < maxDepth) await walk(path, depth + 1);
        continue;
      }
      // A matched container's own sub-cgroups are its business, except Mesos nesting.
      if ((await found(match, path)) && match.runtime === 'mesos' && depth + 2 <= maxDepth) {
        await walk(`${path}/mesos`, depth + 2);
      }
    }
  };

  await walk('/', 1);
  return { containers, errors, listed };
}

/** What changed between two scans, by container id: rescans start readers for added, stop removed. */
export function diffContainers(
  previous: readonly DiscoveredContainer[],
  current: readonly DiscoveredContainer[],
): { added: DiscoveredContainer[]; removed: DiscoveredContainer[] } {
  const before = new Set(previous.map((c) => c.id));
  const now = new Set(current.map((c) => c.id));
  return {
    added: current.filter((c) => !before.has(c.id)),
    removed: previous.filter((c) => !now.has(c.id)),
  };
}
