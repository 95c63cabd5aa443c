/**
 * Where the cgroup hierarchies are: parsed from /proc/self/mountinfo, or read off a
 * directory (a test fixture, or the host's /sys/fs/cgroup mounted into the agent's container).
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupLayout {
  /** v1: controllers only; v2: one unified hierarchy; hybrid: v1 controllers plus an empty cgroup2 mount. */
  mode: CgroupMode;
  /** The cgroup2 mount point, or null. */
  unified: string | null;
  /** v1 controller -> mount point; a comma-joined mount (cpu,cpuacct) maps each of its controllers. */
  controllers: Map<string, string>;
}

/** One line of /proc/self/mountinfo (proc(5)); paths unescaped. */
export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** The directory of the mounted filesystem shown at the mount point ("/docker/<id>" inside a container). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** The v1 controllers the kernel knows; named hierarchies (name=systemd) are not controllers. */
export const V1_CONTROLLERS: ReadonlySet<string> = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
]);

/** The kernel escapes space, tab, newline and backslash in paths as three octal digits. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses mountinfo text; lines that do not have the kernel's shape are skipped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    // Optional fields (shared:N, master:N, ...) run from the 7th field to a lone "-".
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 4) continue;
    const [mountId, parentId, , root, mountPoint] = fields;
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    const superOptions = fields[separator + 3];
    if (root === undefined || mountPoint === undefined || fsType === undefined) continue;
    entries.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      root: unescapeOctal(root),
      mountPoint: unescapeOctal(mountPoint),
      fsType,
      source: unescapeOctal(source ?? ''),
      superOptions: (superOptions ?? '').split(','),
    });
  }
  return entries;
}

function modeOf(controllers: Map<string, string>, unified: string | null, where: string): CgroupMode {
  if (controllers.size > 0) return unified === null ? 'v1' : 'hybrid';
  if (unified !== null) return 'v2';
  throw new Error(`no cgroup v1 controller or cgroup2 hierarchy found in ${where}`);
}

/**
 * The layout described by mountinfo text. The same hierarchy can be mounted more than once
 * (a container that also bind-mounts the host's /sys/fs/cgroup): a mount of the whole
 * hierarchy (root "/") wins over a mount of a sub-tree, then the first one listed.
 */
export function layoutFromMountInfo(text: string, where = 'mountinfo'): CgroupLayout {
  let unified: MountInfoEntry | null = null;
  const chosen = new Map<string, MountInfoEntry>();
  const better = (candidate: MountInfoEntry, current: MountInfoEntry | null | undefined): boolean =>
    current == null || (current.root !== '/' && candidate.root === '/');
  for (const entry of parseMountInfo(text)) {
    if (entry.fsType === 'cgroup2') {
      if (better(entry, unified)) unified = entry;
    } else if (entry.fsType === 'cgroup') {
      for (const option of entry.superOptions) {
        if (V1_CONTROLLERS.has(option) && better(entry, chosen.get(option))) chosen.set(option, entry);
      }
    }
  }
  const controllers = new Map([...chosen].map(([name, entry]) => [name, entry.mountPoint]));
  const unifiedPath = unified === null ? null : unified.mountPoint;
  return { mode: modeOf(controllers, unifiedPath, where), unified: unifiedPath, controllers };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The layout of a directory laid out like /sys/fs/cgroup: `cgroup.controllers` at the top
 * is v2; otherwise subdirectories named after controllers (cpu,cpuacct joined, or symlinks
 * such as cpu -> cpu,cpuacct) are v1, and `unified/cgroup.controllers` beside them is hybrid.
 */
export async function layoutFromDirectory(root: string): Promise<CgroupLayout> {
  if (await exists(join(root, 'cgroup.controllers'))) {
    return { mode: 'v2', unified: root, controllers: new Map() };
  }
  const entries = await readdir(root, { withFileTypes: true });
  // Real directories first, so cpu maps to cpu,cpuacct as mountinfo would say, not to its symlink.
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const links = entries.filter((e) => e.isSymbolicLink()).map((e) => e.name);
  const controllers = new Map<string, string>();
  for (const name of [...dirs.sort(), ...links.sort()]) {
    const names = name.split(',');
    if (!names.every((n) => V1_CONTROLLERS.has(n))) continue;
    const path = join(root, name);
    if (
      links.includes(name) &&
      !(await stat(path)
        .then((s) => s.isDirectory())
        .catch(() => false))
    )
      continue;
    for (const controller of names) if (!controllers.has(controller)) controllers.set(controller, path);
  }
  const unifiedPath = join(root, 'unified');
  const unified =
    controllers.size > 0 && (await exists(join(unifiedPath, 'cgroup.controllers'))) ? unifiedPath : null;
  return { mode: modeOf(controllers, unified, root), unified, controllers };
}

export interface DetectLayoutOptions {
  /** Read the layout off this directory instead of the mount table. */
  cgroupRoot?: string;
  /** Default /proc/self/mountinfo. */
  mountinfoPath?: string;
}

export async function detectLayout(options: DetectLayoutOptions = {}): Promise<CgroupLayout> {
  if (options.cgroupRoot !== undefined) return layoutFromDirectory(options.cgroupRoot);
  const path = options.mountinfoPath ?? '/proc/self/mountinfo';
  return layoutFromMountInfo(await readFile(path, 'utf8'), path);
}
