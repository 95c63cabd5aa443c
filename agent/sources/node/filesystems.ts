import type { StatsFs } from 'node:fs';
import { statfs as fsStatfs } from 'node:fs/promises';
import { join } from 'node:path';
import { type NodeProblem, problemFromError, type Reading, readText } from './problem.js';

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
}

/** Bytes and inode counts of one mounted filesystem. */
export interface FilesystemStats extends Mount {
  capacity: number;
  /** capacity minus every free block, the root-reserved ones included. */
  used: number;
  /** Free to unprivileged users (f_bavail): what df shows as Avail. */
  free: number;
  inodesTotal: number;
  inodesUsed: number;
  inodesFree: number;
}

/** Disk filesystems kept whatever their device looks like (zfs datasets are `pool/name`). */
const BLOCK_FSTYPES = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'f2fs',
  'jfs',
  'reiserfs',
  'bcachefs',
]);

/**
 * Never kept, even on a /dev/ device: memory and kernel filesystems, container layers,
 * and read-only images (snap packages are squashfs on /dev/loopN and always 100% full).
 */
const EXCLUDED_FSTYPES = new Set([
  'tmpfs',
  'ramfs',
  'devtmpfs',
  'devpts',
  'overlay',
  'aufs',
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'configfs',
  'pstore',
  'bpf',
  'mqueue',
  'hugetlbfs',
  'fusectl',
  'binfmt_misc',
  'autofs',
  'nsfs',
  'squashfs',
  'erofs',
  'iso9660',
]);

/** The rule: a known disk fstype, or any other fstype on a /dev/ device unless excluded. */
export function isRealFilesystem(mount: Mount): boolean {
  if (EXCLUDED_FSTYPES.has(mount.fstype)) return false;
  return BLOCK_FSTYPES.has(mount.fstype) || mount.device.startsWith('/dev/');
}

/** The kernel writes space, tab, newline and backslash in mount fields as \040, \011, \012, \134. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses /proc/mounts lines: device mountpoint fstype options dump pass. */
export function parseMounts(text: string, file: string): Reading<Mount[]> {
  const mounts: Mount[] = [];
  const problems: NodeProblem[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    if (fields.length !== 6) {
      problems.push({ file, reason: 'malformed', detail: `bad line: ${line.slice(0, 40)}` });
      continue;
    }
    const [device, mountpoint, fstype] = fields.map(unescapeMountField) as [string, string, string];
    mounts.push({ device, mountpoint, fstype });
  }
  return { values: mounts, problems };
}

/**
 * Real filesystems, one per device: a bind mount or a second btrfs subvolume mount shows
 * the same filesystem again, so the first mount of a device (the earliest mounted, usually
 * the shortest path) stands for it.
 */
export function selectFilesystems(mounts: readonly Mount[]): Mount[] {
  const seen = new Set<string>();
  const selected: Mount[] = [];
  for (const mount of mounts) {
    if (!isRealFilesystem(mount) || seen.has(mount.device)) continue;
    seen.add(mount.device);
    selected.push(mount);
  }
  return selected;
}

export type StatfsFn = (
  path: string,
) => Promise<Pick<StatsFs, 'bsize' | 'blocks' | 'bfree' | 'bavail' | 'files' | 'ffree'>>;

export interface FilesystemOptions {
  /** Mount table to read, relative to procRoot; `1/mounts` gives the host's from a container with hostPID. */
  mountsPath?: string;
  /** Prefix for statfs paths, where the host's root is mounted in the agent's container (e.g. /host). */
  hostRoot?: string;
  /** Replaces fs.promises.statfs (tests). */
  statfs?: StatfsFn;
}

export async function readFilesystems(
  procRoot = '/proc',
  options: FilesystemOptions = {},
): Promise<Reading<FilesystemStats[]>> {
  const file = join(procRoot, options.mountsPath ?? 'mounts');
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  if (text === undefined) return { values: [], problems };
  const parsed = parseMounts(text, file);
  problems.push(...parsed.problems);

  const statfs = options.statfs ?? ((path: string) => fsStatfs(path));
  const results = await Promise.all(
    selectFilesystems(parsed.values).map(async (mount): Promise<FilesystemStats | undefined> => {
      const path =
        options.hostRoot === undefined ? mount.mountpoint : join(options.hostRoot, mount.mountpoint);
      try {
        const s = await statfs(path);
        return {
          ...mount,
          capacity: s.blocks * s.bsize,
          used: (s.blocks - s.bfree) * s.bsize,
          free: s.bavail * s.bsize,
          inodesTotal: s.files,
          inodesUsed: s.files - s.ffree,
          inodesFree: s.ffree,
        };
      } catch (error) {
        // EACCES, ENOENT, ESTALE (a dead NFS server) and friends: lose this filesystem only.
        problems.push(problemFromError(path, error));
        return undefined;
      }
    }),
  );
  return { values: results.filter((fs) => fs !== undefined), problems };
}
