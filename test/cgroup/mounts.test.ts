import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLayout, layoutFromMountInfo, parseMountInfo } from '../../agent/sources/cgroup/mounts.js';

const TREES = fileURLToPath(new URL('../fixtures/cgroup-trees/', import.meta.url));

/** Ubuntu 22.04, systemd's default unified layout. */
const PURE_V2 = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
28 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard,errors=remount-ro
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
31 22 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw
`;

/** CentOS 7: v1 with systemd's named hierarchy and comma-joined cpu,cpuacct and net_cls,net_prio. */
const PURE_V1 = `18 61 0:18 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw,seclabel
24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,seclabel,mode=755
25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,seclabel,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
27 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,seclabel,cpuacct,cpu
28 24 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,seclabel,memory
29 24 0:25 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,seclabel,blkio
30 24 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,seclabel,pids
31 24 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,seclabel,cpuset
32 24 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,seclabel,net_prio,net_cls
`;

/** This VM (cpu and cpuacct mounted apart, systemd's unified mount beside them). */
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const OWN_ID = '0a1b4d6c3f2e8597a6b5c4d3e2f10987a6b5c4d3e2f10987a6b5c4d3e2f10987';

/**
 * Docker on a v1 host, without a cgroup namespace: /sys/fs/cgroup shows the container's own
 * sub-tree (root /docker/<id>), and the host's /sys/fs/cgroup is bind-mounted at /host.
 */
const DOCKER_V1 = `1234 1180 0:160 / / rw,relatime master:590 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X:/var/lib/docker/overlay2/l/Y
1240 1238 0:164 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
1241 1240 0:165 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
1242 1241 0:29 /docker/${OWN_ID} /sys/fs/cgroup/systemd ro,nosuid,nodev,noexec,relatime master:11 - cgroup cgroup rw,xattr,name=systemd
1243 1241 0:32 /docker/${OWN_ID} /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:16 - cgroup cgroup rw,cpu,cpuacct
1244 1241 0:33 /docker/${OWN_ID} /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:17 - cgroup cgroup rw,memory
1251 1234 0:25 / /host/sys/fs/cgroup ro,nosuid,nodev,noexec,relatime master:6 - tmpfs tmpfs ro,mode=755
1252 1251 0:29 / /host/sys/fs/cgroup/systemd ro,nosuid,nodev,noexec,relatime master:11 - cgroup cgroup rw,xattr,name=systemd
1253 1251 0:32 / /host/sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:16 - cgroup cgroup rw,cpu,cpuacct
1254 1251 0:33 / /host/sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:17 - cgroup cgroup rw,memory
`;

/** Docker on a v2 host with a private cgroup namespace: the source is "cgroup", the type cgroup2. */
const DOCKER_V2 = `780 700 0:64 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/Z
785 783 0:68 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
786 785 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate,memory_recursiveprot
`;

describe('parseMountInfo', () => {
  it('splits the fields, with and without optional fields', () => {
    const text =
      '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:4 - ext3 /dev/root rw,errors=continue\n' +
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
    expect(parseMountInfo(text)).toEqual([
      {
        mountId: 36,
        parentId: 35,
        root: '/mnt1',
        mountPoint: '/mnt2',
        fsType: 'ext3',
        source: '/dev/root',
        superOptions: ['rw', 'errors=continue'],
      },
      {
        mountId: 41,
        parentId: 31,
        root: '/',
        mountPoint: '/sys/fs/cgroup/unified',
        fsType: 'cgroup2',
        source: 'cgroup2',
        superOptions: ['rw'],
      },
    ]);
  });

  it('unescapes \\040 (space), \\011 (tab) and \\134 (backslash) in paths', () => {
    const [entry] = parseMountInfo(
      '50 31 0:40 /a\\134b /mnt/my\\040cgroups/mem\\011ory rw - cgroup my\\040src rw,memory\n',
    );
    expect(entry?.root).toBe('/a\\b');
    expect(entry?.mountPoint).toBe('/mnt/my cgroups/mem\tory');
    expect(entry?.source).toBe('my src');
  });

  it('skips lines without the " - " separator or the fields after it', () => {
    expect(parseMountInfo('\ngarbage\n36 35 98:0 / /x rw shared:1\n36 35 98:0 / /x rw - ext4\n')).toEqual([]);
  });
});

describe('layoutFromMountInfo', () => {
  it('pure v2: the unified mount, no controllers', () => {
    expect(layoutFromMountInfo(PURE_V2)).toEqual({
      mode: 'v2',
      unified: '/sys/fs/cgroup',
      controllers: new Map(),
    });
  });

  it('pure v1: each controller of a comma-joined mount maps to it; name=systemd is no controller', () => {
    const layout = layoutFromMountInfo(PURE_V1);
    expect(layout.mode).toBe('v1');
    expect(layout.unified).toBeNull();
    expect(Object.fromEntries(layout.controllers)).toEqual({
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
      memory: '/sys/fs/cgroup/memory',
      blkio: '/sys/fs/cgroup/blkio',
      pids: '/sys/fs/cgroup/pids',
      cpuset: '/sys/fs/cgroup/cpuset',
      net_cls: '/sys/fs/cgroup/net_cls,net_prio',
      net_prio: '/sys/fs/cgroup/net_cls,net_prio',
    });
  });

  it('hybrid: v1 controllers plus the empty cgroup2 mount', () => {
    const layout = layoutFromMountInfo(HYBRID);
    expect(layout.mode).toBe('hybrid');
    expect(layout.unified).toBe('/sys/fs/cgroup/unified');
    expect(Object.fromEntries(layout.controllers)).toEqual({
      cpu: '/sys/fs/cgroup/cpu',
      cpuacct: '/sys/fs/cgroup/cpuacct',
      cpuset: '/sys/fs/cgroup/cpuset',
      memory: '/sys/fs/cgroup/memory',
      devices: '/sys/fs/cgroup/devices',
      freezer: '/sys/fs/cgroup/freezer',
      blkio: '/sys/fs/cgroup/blkio',
      pids: '/sys/fs/cgroup/pids',
    });
  });

  it("in a v1 Docker container, prefers the host's whole hierarchy over the container's own sub-tree", () => {
    const layout = layoutFromMountInfo(DOCKER_V1);
    expect(layout.mode).toBe('v1');
    expect(Object.fromEntries(layout.controllers)).toEqual({
      cpu: '/host/sys/fs/cgroup/cpu,cpuacct',
      cpuacct: '/host/sys/fs/cgroup/cpu,cpuacct',
      memory: '/host/sys/fs/cgroup/memory',
    });
  });

  it('keeps the first listed mount of a sub-tree when there is no whole one', () => {
    const ownOnly = DOCKER_V1.split('\n').filter((line) => !line.includes('/host/'));
    const layout = layoutFromMountInfo(ownOnly.join('\n'));
    expect(layout.controllers.get('memory')).toBe('/sys/fs/cgroup/memory');
  });

  it('in a v2 Docker container, goes by the filesystem type, not the source name', () => {
    expect(layoutFromMountInfo(DOCKER_V2)).toEqual({
      mode: 'v2',
      unified: '/sys/fs/cgroup',
      controllers: new Map(),
    });
  });

  it('maps escaped mount points to real paths', () => {
    const text =
      '60 1 0:50 / /mnt/cgroup\\040v1/memory rw - cgroup cgroup rw,memory\n' +
      '61 1 0:51 / /mnt/cgroup\\040v2 rw - cgroup2 cgroup2 rw\n';
    const layout = layoutFromMountInfo(text);
    expect(layout).toEqual({
      mode: 'hybrid',
      unified: '/mnt/cgroup v2',
      controllers: new Map([['memory', '/mnt/cgroup v1/memory']]),
    });
  });

  it('throws when there is no cgroup mount, naming the source', () => {
    const proc = '23 28 0:22 / /proc rw - proc proc rw\n';
    expect(() => layoutFromMountInfo(proc, '/x/mountinfo')).toThrow(
      'no cgroup v1 controller or cgroup2 hierarchy found in /x/mountinfo',
    );
  });
});

describe('detectLayout', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corral-mounts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the mountinfo file it is given', async () => {
    const path = join(dir, 'mountinfo');
    await writeFile(path, PURE_V1);
    const layout = await detectLayout({ mountinfoPath: path });
    expect(layout.mode).toBe('v1');
    expect(layout.controllers.get('memory')).toBe('/sys/fs/cgroup/memory');
  });

  it('names the file when it has no cgroup mount', async () => {
    const path = join(dir, 'empty-mountinfo');
    await writeFile(path, '');
    await expect(detectLayout({ mountinfoPath: path })).rejects.toThrow(`found in ${path}`);
  });

  it('v2 tree: cgroup.controllers at the root', async () => {
    const root = join(TREES, 'v2');
    expect(await detectLayout({ cgroupRoot: root })).toEqual({
      mode: 'v2',
      unified: root,
      controllers: new Map(),
    });
  });

  it('v1 tree: controller directories, the joined directory preferred over its symlinks', async () => {
    const root = join(TREES, 'v1');
    const layout = await detectLayout({ cgroupRoot: root });
    expect(layout.mode).toBe('v1');
    expect(layout.unified).toBeNull();
    expect(Object.fromEntries(layout.controllers)).toEqual({
      blkio: join(root, 'blkio'),
      cpu: join(root, 'cpu,cpuacct'),
      cpuacct: join(root, 'cpu,cpuacct'),
      cpuset: join(root, 'cpuset'),
      memory: join(root, 'memory'),
      pids: join(root, 'pids'),
    });
  });

  it('hybrid tree: v1 controllers plus unified/cgroup.controllers', async () => {
    const root = join(TREES, 'hybrid');
    const layout = await detectLayout({ cgroupRoot: root });
    expect(layout.mode).toBe('hybrid');
    expect(layout.unified).toBe(join(root, 'unified'));
    expect([...layout.controllers.keys()].sort()).toEqual([
      'blkio',
      'cpu',
      'cpuacct',
      'cpuset',
      'memory',
      'pids',
    ]);
  });

  it('a directory that is no cgroup root is an error naming it', async () => {
    await expect(detectLayout({ cgroupRoot: dir })).rejects.toThrow(
      `no cgroup v1 controller or cgroup2 hierarchy found in ${dir}`,
    );
  });

  it("this machine's /proc/self/mountinfo parses to a layout", async () => {
    const layout = await detectLayout();
    expect(['v1', 'v2', 'hybrid']).toContain(layout.mode);
    expect(layout.unified !== null || layout.controllers.size > 0).toBe(true);
  });
});
