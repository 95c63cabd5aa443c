import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isRealFilesystem,
  parseMounts,
  readFilesystems,
  type StatfsFn,
  selectFilesystems,
} from '../../agent/sources/node/filesystems.js';
import { FIXTURE, NOWHERE, procWith, removeProcRoots } from './helpers.js';

afterAll(removeProcRoots);

type Statfs = Awaited<ReturnType<StatfsFn>>;

const STATFS: Record<string, Statfs> = {
  '/': {
    bsize: 4096,
    blocks: 10_000_000,
    bfree: 4_000_000,
    bavail: 3_500_000,
    files: 2_560_000,
    ffree: 2_000_000,
  },
  '/boot/efi': { bsize: 512, blocks: 213_663, bfree: 201_000, bavail: 201_000, files: 0, ffree: 0 },
  '/mnt/data disk': { bsize: 4096, blocks: 500, bfree: 500, bavail: 500, files: 100, ffree: 97 },
  '/tank/builds': {
    bsize: 131072,
    blocks: 1000,
    bfree: 250,
    bavail: 250,
    files: 4_000_000,
    ffree: 3_999_000,
  },
};

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: statfs failed`), { code });
}

/** Answers from STATFS; any other path is ENOENT, as for a mountpoint that went away. */
const fakeStatfs: StatfsFn = async (path) => {
  const stats = STATFS[path];
  if (stats === undefined) throw errno('ENOENT');
  return stats;
};

describe('isRealFilesystem', () => {
  it.each([
    ['/dev/sda1', 'ext4', true],
    ['/dev/nvme0n1p2', 'xfs', true],
    ['/dev/mapper/vg-root', 'btrfs', true],
    ['/dev/sda15', 'vfat', true],
    ['rpool/ROOT/ubuntu', 'zfs', true],
    ['/dev/md0', 'someday-fs', true],
    ['/dev/loop3', 'squashfs', false],
    ['tmpfs', 'tmpfs', false],
    ['overlay', 'overlay', false],
    ['proc', 'proc', false],
    ['sysfs', 'sysfs', false],
    ['cgroup2', 'cgroup2', false],
    ['cgroup', 'cgroup', false],
    ['devtmpfs', 'devtmpfs', false],
    ['server:/export', 'nfs4', false],
    ['//server/share', 'cifs', false],
    ['sshfs#me@host:', 'fuse.sshfs', false],
  ])('%s %s -> %s', (device, fstype, kept) => {
    expect(isRealFilesystem({ device, mountpoint: '/x', fstype })).toBe(kept);
  });
});

describe('parseMounts and selectFilesystems', () => {
  it('keeps the real filesystems of the fixture, once per device, unescaping \\040', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = join(FIXTURE, 'mounts');
    const parsed = parseMounts(await readFile(file, 'utf8'), file);
    expect(parsed.values).toHaveLength(16);
    expect(parsed.problems).toStrictEqual([]);
    expect(selectFilesystems(parsed.values)).toStrictEqual([
      { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' },
      { device: '/dev/sda15', mountpoint: '/boot/efi', fstype: 'vfat' },
      { device: '/dev/sdb1', mountpoint: '/mnt/data disk', fstype: 'xfs' },
      { device: 'tank/builds', mountpoint: '/tank/builds', fstype: 'zfs' },
    ]);
  });

  it('reports a line without six fields and keeps the others', () => {
    expect(parseMounts('/dev/sda1 / ext4 rw 0 0\nnonsense\n', 'm')).toStrictEqual({
      values: [{ device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' }],
      problems: [{ file: 'm', reason: 'malformed', detail: 'bad line: nonsense' }],
    });
  });
});

describe('readFilesystems', () => {
  it('turns statfs into bytes and inodes', async () => {
    const { values, problems } = await readFilesystems(FIXTURE, { statfs: fakeStatfs });
    expect(problems).toStrictEqual([]);
    expect(values).toStrictEqual([
      {
        device: '/dev/sda1',
        mountpoint: '/',
        fstype: 'ext4',
        capacity: 40_960_000_000,
        used: 24_576_000_000,
        free: 14_336_000_000,
        inodesTotal: 2_560_000,
        inodesUsed: 560_000,
        inodesFree: 2_000_000,
      },
      {
        device: '/dev/sda15',
        mountpoint: '/boot/efi',
        fstype: 'vfat',
        capacity: 109_395_456,
        used: 6_483_456,
        free: 102_912_000,
        inodesTotal: 0,
        inodesUsed: 0,
        inodesFree: 0,
      },
      {
        device: '/dev/sdb1',
        mountpoint: '/mnt/data disk',
        fstype: 'xfs',
        capacity: 2_048_000,
        used: 0,
        free: 2_048_000,
        inodesTotal: 100,
        inodesUsed: 3,
        inodesFree: 97,
      },
      {
        device: 'tank/builds',
        mountpoint: '/tank/builds',
        fstype: 'zfs',
        capacity: 131_072_000,
        used: 98_304_000,
        free: 32_768_000,
        inodesTotal: 4_000_000,
        inodesUsed: 1_000,
        inodesFree: 3_999_000,
      },
    ]);
  });

  it('omits a filesystem whose statfs fails and reports it', async () => {
    const statfs: StatfsFn = async (path) => {
      if (path === '/boot/efi') throw errno('EACCES');
      if (path === '/tank/builds') throw errno('ESTALE');
      return fakeStatfs(path);
    };
    const { values, problems } = await readFilesystems(FIXTURE, { statfs });
    expect(values.map((fs) => fs.mountpoint)).toStrictEqual(['/', '/mnt/data disk']);
    expect(problems).toStrictEqual([
      { file: '/boot/efi', reason: 'unreadable', detail: 'EACCES' },
      { file: '/tank/builds', reason: 'unreadable', detail: 'ESTALE' },
    ]);
  });

  it('statfs-es under hostRoot but reports the host mountpoint', async () => {
    const asked: string[] = [];
    const statfs: StatfsFn = async (path) => {
      asked.push(path);
      return fakeStatfs(path.slice('/host'.length));
    };
    const { values } = await readFilesystems(FIXTURE, { statfs, hostRoot: '/host' });
    expect(asked.sort()).toStrictEqual([
      '/host/',
      '/host/boot/efi',
      '/host/mnt/data disk',
      '/host/tank/builds',
    ]);
    expect(values.map((fs) => fs.mountpoint)).toStrictEqual([
      '/',
      '/boot/efi',
      '/mnt/data disk',
      '/tank/builds',
    ]);
  });

  it('reports a missing mount table', async () => {
    expect(await readFilesystems(NOWHERE, { statfs: fakeStatfs })).toStrictEqual({
      values: [],
      problems: [{ file: join(NOWHERE, 'mounts'), reason: 'missing', detail: 'ENOENT' }],
    });
  });

  it('reads an empty mount table as no filesystems', async () => {
    expect(await readFilesystems(procWith({ mounts: '' }), { statfs: fakeStatfs })).toStrictEqual({
      values: [],
      problems: [],
    });
  });
});
