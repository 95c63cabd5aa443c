import { describe, expect, it } from 'vitest';
import { compilePatterns, DEFAULT_PATTERNS, matchContainer } from '../../agent/sources/cgroup/patterns.js';

const ID = '6de102c1cecc011032305908295668eedad74d736c6d216e4c42f416ae84988f';
const ID2 = '299f837a97b228b6be09b618791d4755d3debed9f4325501a14b89afa7fbbacc';
const POD = '94aaa027-f2e4-4c60-85f6-4f6bfbca3306';
const POD_ = POD.replaceAll('-', '_');
const MESOS = 'be2a05a5-6a0f-4f09-b4b2-82430e3b3349';
const MESOS2 = '2dd0c4fd-5279-4868-bcac-0353b5bed518';
const MESOS3 = '33d314ba-8ab9-44df-bfa3-4d399a3eae0e';

describe('matchContainer with the default patterns', () => {
  it.each([
    ['Mesos', `/mesos/${MESOS}`, { runtime: 'mesos', id: MESOS }],
    ['nested Mesos', `/mesos/${MESOS}/mesos/${MESOS2}`, { runtime: 'mesos', id: MESOS2, parent: MESOS }],
    [
      'Mesos nested twice (parent = the nearest)',
      `/mesos/${MESOS}/mesos/${MESOS2}/mesos/${MESOS3}`,
      { runtime: 'mesos', id: MESOS3, parent: MESOS2 },
    ],
    ['Docker, cgroupfs driver', `/docker/${ID}`, { runtime: 'docker', id: ID }],
    ['Docker, systemd driver', `/system.slice/docker-${ID}.scope`, { runtime: 'docker', id: ID }],
    [
      'Kubernetes containerd, burstable',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes containerd, besteffort',
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes containerd, guaranteed (no QoS slice)',
      `/kubepods.slice/kubepods-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes CRI-O',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/crio-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes dockershim, systemd driver (Kubernetes before Docker)',
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice/docker-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes in kind (kubelet.slice cgroup root)',
      `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${POD_}.slice/cri-containerd-${ID}.scope`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes cgroupfs driver, burstable',
      `/kubepods/burstable/pod${POD}/${ID}`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes cgroupfs driver, besteffort',
      `/kubepods/besteffort/pod${POD}/${ID}`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    [
      'Kubernetes cgroupfs driver, guaranteed',
      `/kubepods/pod${POD}/${ID}`,
      { runtime: 'kubernetes', id: ID, pod: POD },
    ],
    ['Podman, root', `/machine.slice/libpod-${ID}.scope`, { runtime: 'podman', id: ID }],
    [
      'Podman, in a pod',
      `/machine.slice/machine-libpod_pod_${ID2}.slice/libpod-${ID}.scope`,
      { runtime: 'podman', id: ID, pod: ID2 },
    ],
    [
      'Podman, rootless',
      `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`,
      { runtime: 'podman', id: ID },
    ],
  ])('%s', (_, path, expected) => {
    expect(matchContainer(path)).toEqual(expected);
  });

  it.each([
    ['the root', '/'],
    ['a slice', '/user.slice'],
    ['a login session', '/user.slice/user-1000.slice/session-3.scope'],
    ['a QoS slice', '/kubepods.slice/kubepods-burstable.slice'],
    ['a pod slice', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice`],
    ['a pod directory', `/kubepods/burstable/pod${POD}`],
    ['the CRI-O monitor', `/kubepods.slice/kubepods-pod${POD_}.slice/crio-conmon-${ID}.scope`],
    ['the podman monitor', `/machine.slice/libpod-conmon-${ID}.scope`],
    ['a short docker id', '/docker/6de102c1cecc'],
    ['an upper-case docker id', `/docker/${ID.toUpperCase()}`],
    ["a container's sub-cgroup", `/docker/${ID}/init`],
    ['the mesos directory', '/mesos'],
    ['a service, without includeSystemd', '/system.slice/systemd-journald.service'],
  ])('%s is no container', (_, path) => {
    expect(matchContainer(path)).toBeNull();
  });

  it('services are containers (id = unit name) only with includeSystemd', () => {
    expect(matchContainer('/system.slice/cron.service', DEFAULT_PATTERNS, { includeSystemd: true })).toEqual({
      runtime: 'systemd',
      id: 'cron.service',
    });
    expect(
      matchContainer('/system.slice/cron.service', DEFAULT_PATTERNS, { includeSystemd: false }),
    ).toBeNull();
  });

  it('a container scope under system.slice is still Docker with includeSystemd', () => {
    expect(
      matchContainer(`/system.slice/docker-${ID}.scope`, DEFAULT_PATTERNS, { includeSystemd: true }),
    ).toEqual({
      runtime: 'docker',
      id: ID,
    });
  });
});

describe('compilePatterns', () => {
  it('builds patterns in order; the first match wins', () => {
    const patterns = compilePatterns([
      { runtime: 'batch', regex: '^/batch/job-(?<id>\\d+)$' },
      { runtime: 'other', regex: '^/batch/(?<id>[^/]+)$' },
    ]);
    expect(matchContainer('/batch/job-42', patterns)).toEqual({ runtime: 'batch', id: '42' });
    expect(matchContainer('/batch/x', patterns)).toEqual({ runtime: 'other', id: 'x' });
  });

  it('takes pod and parent groups, normalizing "_" in pod uids', () => {
    const [pattern] = compilePatterns([
      { runtime: 'k', regex: '^/p(?<pod>[0-9a-f_]+)/c(?<parent>\\d+)/(?<id>\\d+)$' },
    ]);
    expect(matchContainer('/pab_cd/c1/2', pattern === undefined ? [] : [pattern])).toEqual({
      runtime: 'k',
      id: '2',
      pod: 'ab-cd',
      parent: '1',
    });
  });

  it('rejects a pattern without an id group, naming it', () => {
    expect(() =>
      compilePatterns([
        { runtime: 'docker', regex: '^/docker/(?<id>[0-9a-f]{64})$' },
        { runtime: 'lxc', regex: '^/lxc/(?<name>[^/]+)$' },
      ]),
    ).toThrow('container pattern 2 (runtime "lxc", /^/lxc/(?<name>[^/]+)$/): has no named group "id"');
  });

  it('rejects an invalid regular expression, naming it', () => {
    expect(() => compilePatterns([{ runtime: 'x', regex: '^/(?<id>[' }])).toThrow(
      /^container pattern 1 \(runtime "x", \/\^\/\(\?<id>\[\/\): Invalid regular expression/,
    );
  });

  it('rejects an empty runtime', () => {
    expect(() => compilePatterns([{ runtime: '', regex: '(?<id>.+)' }])).toThrow(
      'container pattern 1 (runtime "", /(?<id>.+)/): runtime is empty',
    );
  });
});
