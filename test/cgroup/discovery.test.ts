import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type DiscoveredContainer,
  diffContainers,
  discoverContainers,
} from '../../agent/sources/cgroup/discovery.js';
import { type CgroupLayout, detectLayout } from '../../agent/sources/cgroup/mounts.js';
import { compilePatterns } from '../../agent/sources/cgroup/patterns.js';

/** readdir with hooks: fail a directory with an errno code, or run something right after listing one. */
const fsHooks = vi.hoisted(() => ({
  fail: new Map<string, string>(),
  afterList: new Map<string, () => Promise<void>>(),
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = async (path: string, options: { withFileTypes: true }) => {
    const code = fsHooks.fail.get(path);
    if (code !== undefined) throw Object.assign(new Error(`${code}: ${path}`), { code });
    const entries = await actual.readdir(path, options);
    await fsHooks.afterList.get(path)?.();
    return entries;
  };
  return { ...actual, readdir };
});

const TREES = fileURLToPath(new URL('../fixtures/cgroup-trees/', import.meta.url));

// The ids of test/fixtures/cgroup-trees/README.md.
const DOCKER_SYSTEMD = '6de102c1cecc011032305908295668eedad74d736c6d216e4c42f416ae84988f';
const K8S_PAUSE = 'c25737c5da1cd737513225c6fe04907fd25008a9ae9d7e6134b59686c43b326c';
const K8S_APP = '299f837a97b228b6be09b618791d4755d3debed9f4325501a14b89afa7fbbacc';
const K8S_CRIO = 'c99a3087da531c7b34bff93c3956f52cb41fa30118580a270b77f62ba80e45bc';
const K8S_GUARANTEED = 'aa21536d9fd228d6134e57c7df3a779d4da73897c1dc61e83d02f4dccc8205cc';
const PODMAN_ROOT = '2ec0e05312fed02434ea42394a7b1f5a127927c6c04edd50fa4ef05ac645ceac';
const PODMAN_ROOTLESS = '56dfa3bc944415a972b0fe05883435f6f061150cc65600d923a24fd565932362';
const DOCKER_1 = '1e572f2b3f4d29b49072f78803592eacf5b5babc39fe23ca738940412071055f';
const DOCKER_2 = 'f1a1eb7c36269e5352db5ee6c8aadcf8ff4b66f631b39ea020b1c0edaeec2a52';
const K8S_FS_BURSTABLE = '4e649e2c426f2eb52ce84bcbbb04e8dc55328ff307c18af826c8c5542050a6e4';
const K8S_FS_GUARANTEED = '1e8b439e53006e85d455c0e9bbcc5266f62c5e99ba23e881e3f1a1f26bad544d';
const HYBRID_DOCKER = '913800efcd16a8d6811361e64308613449ff802c4c0b7ace9ebbd5a7858813e2';
const HYBRID_K8S = 'a8d4946833f121f3fc50706aae456d8db441ebe57380192be83ae3057c87f066';
const POD_BURSTABLE = '94aaa027-f2e4-4c60-85f6-4f6bfbca3306';
const POD_BESTEFFORT = '3eb3613e-bb34-41a6-8ce9-7b990cdf1760';
const POD_GUARANTEED = 'e3151644-2889-4689-9bd6-6f436e8f7696';
const POD_FS_BURSTABLE = 'c7402808-8c7a-4ba2-8c23-315c92f88505';
const POD_FS_GUARANTEED = 'dced4a62-cba9-4f4b-a0de-f3351f55866a';
const POD_HYBRID = '2b47a3f3-8e15-424d-9492-bbbefd62887f';
const MESOS_OUTER = 'be2a05a5-6a0f-4f09-b4b2-82430e3b3349';
const MESOS_NESTED = '2dd0c4fd-5279-4868-bcac-0353b5bed518';
const MESOS_SINGLE = '33d314ba-8ab9-44df-bfa3-4d399a3eae0e';

const slice = (uid: string) => uid.replaceAll('-', '_');

type Expected = Omit<DiscoveredContainer, 'dirs'>;

/** v2: every container has one directory, in the unified hierarchy. */
function inV2(root: string, containers: Expected[]): DiscoveredContainer[] {
  return containers.map((c) => ({ ...c, dirs: { unified: join(root, c.path) } }));
}

/** v1 and hybrid: the directory under each of the given hierarchies (cpu and cpuacct share one). */
function inV1(root: string, containers: (Expected & { in?: string[] })[]): DiscoveredContainer[] {
  const mounts: Record<string, string> = {
    unified: 'unified',
    cpu: 'cpu,cpuacct',
    cpuacct: 'cpu,cpuacct',
    memory: 'memory',
    blkio: 'blkio',
    pids: 'pids',
  };
  return containers.map(({ in: only, ...c }) => {
    const names = only ?? ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'];
    const dirs = Object.fromEntries(names.map((name) => [name, join(root, mounts[name] ?? name, c.path)]));
    return { ...c, dirs };
  });
}

const V2_CONTAINERS: Expected[] = [
  {
    runtime: 'kubernetes',
    id: K8S_CRIO,
    pod: POD_BESTEFFORT,
    path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${slice(POD_BESTEFFORT)}.slice/crio-${K8S_CRIO}.scope`,
  },
  {
    runtime: 'kubernetes',
    id: K8S_APP,
    pod: POD_BURSTABLE,
    path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${slice(POD_BURSTABLE)}.slice/cri-containerd-${K8S_APP}.scope`,
  },
  {
    runtime: 'kubernetes',
    id: K8S_PAUSE,
    pod: POD_BURSTABLE,
    path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${slice(POD_BURSTABLE)}.slice/cri-containerd-${K8S_PAUSE}.scope`,
  },
  {
    runtime: 'kubernetes',
    id: K8S_GUARANTEED,
    pod: POD_GUARANTEED,
    path: `/kubepods.slice/kubepods-pod${slice(POD_GUARANTEED)}.slice/cri-containerd-${K8S_GUARANTEED}.scope`,
  },
  { runtime: 'podman', id: PODMAN_ROOT, path: `/machine.slice/libpod-${PODMAN_ROOT}.scope` },
  { runtime: 'mesos', id: MESOS_SINGLE, path: `/mesos/${MESOS_SINGLE}` },
  { runtime: 'mesos', id: MESOS_OUTER, path: `/mesos/${MESOS_OUTER}` },
  {
    runtime: 'mesos',
    id: MESOS_NESTED,
    parent: MESOS_OUTER,
    path: `/mesos/${MESOS_OUTER}/mesos/${MESOS_NESTED}`,
  },
  { runtime: 'docker', id: DOCKER_SYSTEMD, path: `/system.slice/docker-${DOCKER_SYSTEMD}.scope` },
  {
    runtime: 'podman',
    id: PODMAN_ROOTLESS,
    path: `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${PODMAN_ROOTLESS}.scope`,
  },
];

const service = (name: string): Expected => ({ runtime: 'systemd', id: name, path: `/system.slice/${name}` });

describe('discoverContainers on the fixture trees', () => {
  it('v2: every runtime layout, nested Mesos, not inside a matched container (the kind pod)', async () => {
    const root = join(TREES, 'v2');
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }));
    expect(result).toEqual({ containers: inV2(root, V2_CONTAINERS), errors: [], listed: expect.any(Array) });
  });

  it('lists where new containers would appear (to watch), never inside a container', async () => {
    const root = join(TREES, 'v2');
    const { listed, containers } = await discoverContainers(await detectLayout({ cgroupRoot: root }));
    const relative = listed.map((dir) => dir.slice(root.length) || '/');
    expect(relative).toEqual(
      expect.arrayContaining([
        '/',
        '/mesos',
        `/mesos/${MESOS_OUTER}/mesos`,
        '/kubepods.slice',
        '/kubepods.slice/kubepods-burstable.slice',
        `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${slice(POD_BURSTABLE)}.slice`,
        '/system.slice',
        '/system.slice/cron.service',
      ]),
    );
    // Container directories are not walked (only a Mesos container's own mesos/ sub-cgroup).
    for (const c of containers) expect(relative).not.toContain(c.path);
    expect(new Set(relative).size).toBe(relative.length);
  });

  it('v2 with includeSystemd: services as well, in walk order', async () => {
    const root = join(TREES, 'v2');
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }), {
      includeSystemd: true,
    });
    const systemSlice = [
      service('containerd.service'),
      service('cron.service'),
      V2_CONTAINERS[8] as Expected,
      service('systemd-journald.service'),
    ];
    const expected = [...V2_CONTAINERS.slice(0, 8), ...systemSlice, ...V2_CONTAINERS.slice(9)];
    expect(result.containers).toEqual(inV2(root, expected));
  });

  it('v2 with maxDepth 3: nothing deeper than three segments', async () => {
    const root = join(TREES, 'v2');
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }), { maxDepth: 3 });
    expect(result.containers.map((c) => c.id)).toEqual([
      K8S_GUARANTEED,
      PODMAN_ROOT,
      MESOS_SINGLE,
      MESOS_OUTER,
      DOCKER_SYSTEMD,
    ]);
  });

  it('v2 with maxDepth 4: the pods in QoS slices and nested Mesos (depth 4), not rootless podman (5)', async () => {
    const root = join(TREES, 'v2');
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }), { maxDepth: 4 });
    expect(result.containers.map((c) => c.id)).toEqual(V2_CONTAINERS.slice(0, 9).map((c) => c.id));
  });

  it('v2 with configured patterns only', async () => {
    const root = join(TREES, 'v2');
    const patterns = compilePatterns([{ runtime: 'cron', regex: '^/system\\.slice/(?<id>cron)\\.service$' }]);
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }), { patterns });
    expect(result.containers).toEqual(
      inV2(root, [{ runtime: 'cron', id: 'cron', path: '/system.slice/cron.service' }]),
    );
  });

  const V1_CONTAINERS = [
    { runtime: 'docker', id: DOCKER_1, path: `/docker/${DOCKER_1}` },
    // Created in cpu,cpuacct and memory only.
    { runtime: 'docker', id: DOCKER_2, path: `/docker/${DOCKER_2}`, in: ['cpu', 'cpuacct', 'memory'] },
    {
      runtime: 'kubernetes',
      id: K8S_FS_BURSTABLE,
      pod: POD_FS_BURSTABLE,
      path: `/kubepods/burstable/pod${POD_FS_BURSTABLE}/${K8S_FS_BURSTABLE}`,
    },
    {
      runtime: 'kubernetes',
      id: K8S_FS_GUARANTEED,
      pod: POD_FS_GUARANTEED,
      path: `/kubepods/pod${POD_FS_GUARANTEED}/${K8S_FS_GUARANTEED}`,
    },
    { runtime: 'mesos', id: MESOS_SINGLE, path: `/mesos/${MESOS_SINGLE}` },
  ];

  it('v1: walks memory; dirs in each controller that has the container', async () => {
    const root = join(TREES, 'v1');
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }));
    expect(result).toEqual({ containers: inV1(root, V1_CONTAINERS), errors: [], listed: expect.any(Array) });
  });

  it('v1 without a memory hierarchy: walks cpu (here through its symlink)', async () => {
    const root = join(TREES, 'v1');
    const layout: CgroupLayout = {
      mode: 'v1',
      unified: null,
      controllers: new Map([['cpu', join(root, 'cpu')]]),
    };
    const result = await discoverContainers(layout);
    expect(result.containers.map((c) => c.dirs)).toEqual(
      V1_CONTAINERS.map((c) => ({ cpu: join(root, 'cpu', c.path) })),
    );
  });

  it('a layout with no memory, cpu or cpuacct hierarchy is an error', async () => {
    const layout: CgroupLayout = { mode: 'v1', unified: null, controllers: new Map([['pids', '/x']]) };
    await expect(discoverContainers(layout)).rejects.toThrow(
      'cgroup layout has no memory, cpu or cpuacct hierarchy to discover from',
    );
  });

  it('hybrid: the unified directory besides the v1 ones', async () => {
    const root = join(TREES, 'hybrid');
    const all = ['unified', 'cpu', 'cpuacct', 'memory', 'blkio', 'pids'];
    const result = await discoverContainers(await detectLayout({ cgroupRoot: root }), {
      includeSystemd: true,
    });
    expect(result).toEqual({
      containers: inV1(root, [
        {
          runtime: 'kubernetes',
          id: HYBRID_K8S,
          pod: POD_HYBRID,
          path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${slice(POD_HYBRID)}.slice/cri-containerd-${HYBRID_K8S}.scope`,
          in: all,
        },
        { ...service('cron.service'), in: all },
        {
          runtime: 'docker',
          id: HYBRID_DOCKER,
          path: `/system.slice/docker-${HYBRID_DOCKER}.scope`,
          in: all,
        },
      ]),
      errors: [],
      listed: expect.any(Array),
    });
  });
});

const ID_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ID_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ID_C = 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc';
const POD_T = '0f7e1c55-3b4a-4c2d-9e8f-7a6b5c4d3e2f';

describe('discoverContainers while containers come and go', () => {
  let root = '';
  let layout: CgroupLayout;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'corral-discovery-'));
    await writeFile(join(root, 'cgroup.controllers'), '');
    for (const id of [ID_A, ID_B, ID_C]) await mkdir(join(root, 'docker', id), { recursive: true });
    await mkdir(join(root, 'kubepods', `pod${POD_T}`, ID_A), { recursive: true });
    layout = { mode: 'v2', unified: root, controllers: new Map() };
  });

  afterEach(async () => {
    fsHooks.fail.clear();
    fsHooks.afterList.clear();
    await chmod(join(root, 'kubepods'), 0o755).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  const ids = (containers: DiscoveredContainer[]) => containers.map((c) => `${c.runtime}:${c.id}`);

  it('skips silently what vanished after its parent was listed: a container and a whole sub-tree', async () => {
    fsHooks.afterList.set(join(root, 'docker'), () => rm(join(root, 'docker', ID_B), { recursive: true }));
    fsHooks.afterList.set(root, () => rm(join(root, 'kubepods'), { recursive: true }));
    const result = await discoverContainers(layout);
    expect(result).toEqual({
      containers: [
        {
          runtime: 'docker',
          id: ID_A,
          path: `/docker/${ID_A}`,
          dirs: { unified: join(root, 'docker', ID_A) },
        },
        {
          runtime: 'docker',
          id: ID_C,
          path: `/docker/${ID_C}`,
          dirs: { unified: join(root, 'docker', ID_C) },
        },
      ],
      errors: [],
      // The vanished kubepods sub-tree was never listed.
      listed: [root, join(root, 'docker')],
    });
  });

  it('skips silently symlinks to a missing directory (ENOENT) and to a file (ENOTDIR)', async () => {
    await rm(join(root, 'docker', ID_B), { recursive: true });
    await symlink(join(root, 'missing'), join(root, 'docker', ID_B));
    await symlink(join(root, 'missing'), join(root, 'gone.slice'));
    await symlink(join(root, 'cgroup.controllers'), join(root, 'file.slice'));
    const result = await discoverContainers(layout);
    expect(ids(result.containers)).toEqual([`docker:${ID_A}`, `docker:${ID_C}`, `kubernetes:${ID_A}`]);
    expect(result.errors).toEqual([]);
  });

  it('counts a directory it may not read (EACCES, injected) and goes on', async () => {
    fsHooks.fail.set(join(root, 'kubepods'), 'EACCES');
    const result = await discoverContainers(layout);
    expect(ids(result.containers)).toEqual([`docker:${ID_A}`, `docker:${ID_B}`, `docker:${ID_C}`]);
    expect(result.errors).toEqual([{ path: join(root, 'kubepods'), code: 'EACCES' }]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'counts a chmod 000 directory as EACCES and goes on (skipped as root: chmod does not stop root reading)',
    async () => {
      await chmod(join(root, 'kubepods'), 0o000);
      const result = await discoverContainers(layout);
      expect(ids(result.containers)).toEqual([`docker:${ID_A}`, `docker:${ID_B}`, `docker:${ID_C}`]);
      expect(result.errors).toEqual([{ path: join(root, 'kubepods'), code: 'EACCES' }]);
    },
  );

  it('diffContainers: what a rescan added and removed, by id', async () => {
    const before = (await discoverContainers(layout)).containers;
    await rm(join(root, 'docker', ID_B), { recursive: true });
    await mkdir(join(root, 'mesos', MESOS_SINGLE), { recursive: true });
    const after = (await discoverContainers(layout)).containers;
    const { added, removed } = diffContainers(before, after);
    expect(ids(added)).toEqual([`mesos:${MESOS_SINGLE}`]);
    expect(ids(removed)).toEqual([`docker:${ID_B}`]);
    expect(diffContainers(after, after)).toEqual({ added: [], removed: [] });
  });
});

const HYBRID_HOST =
  existsSync('/sys/fs/cgroup/memory/memory.usage_in_bytes') &&
  existsSync('/sys/fs/cgroup/unified/cgroup.controllers');

describe('this machine', () => {
  it.runIf(HYBRID_HOST)(
    'hybrid host (as the dev VM): finds the memory mount and the unified one',
    async () => {
      const layout = await detectLayout();
      expect(layout.mode).toBe('hybrid');
      expect(layout.controllers.get('memory')).toBe('/sys/fs/cgroup/memory');
      expect(layout.unified).toBe('/sys/fs/cgroup/unified');
    },
  );

  it('discovers on the live tree without throwing, every container with its walked directory', async () => {
    const layout = await detectLayout();
    const result = await discoverContainers(layout, { includeSystemd: true });
    const walked = layout.mode === 'v2' ? 'unified' : layout.controllers.has('memory') ? 'memory' : 'cpu';
    for (const container of result.containers) {
      expect(container.dirs[walked as 'memory']).toBe(
        join((walked === 'unified' ? layout.unified : layout.controllers.get(walked)) ?? '', container.path),
      );
    }
    expect(Array.isArray(result.errors)).toBe(true);
  });
});
