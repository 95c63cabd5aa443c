import { describe, expect, it } from 'vitest';
import { MetadataError } from '../../../agent/metadata/provider.js';
import { workloadOf } from '../../../agent/metadata/providers/kubernetes/pod-identity.js';
import { mapPodList } from '../../../agent/metadata/providers/kubernetes/pod-list.js';
import { EXPECTED, NODE_A7 } from './expected-snapshots.js';
import { loadPod, POD_FIXTURES, podList } from './pod-fixtures.js';

/** Maps and records what was skipped. */
function mapRecordingSkips(body: unknown, options: { clusterId?: string; nodeName?: string } = {}) {
  const skipped: string[] = [];
  const snapshot = mapPodList(body, { ...options, onSkipped: (reason) => skipped.push(reason) });
  return { snapshot, skipped };
}

describe('mapPodList on fixture pods', () => {
  it.each(POD_FIXTURES)('%s', (fixture) => {
    const { snapshot, skipped } = mapRecordingSkips(podList(loadPod(fixture)));
    expect(snapshot).toStrictEqual({ node: NODE_A7, ...EXPECTED[fixture] });
    expect(skipped).toEqual([]);
  });

  it('maps a whole node: containers and tasks in pod order', () => {
    const { snapshot, skipped } = mapRecordingSkips(podList(...POD_FIXTURES.map(loadPod)), {
      clusterId: 'prod-eu',
    });
    expect(snapshot).toStrictEqual({
      node: { cluster_id: 'prod-eu', ...NODE_A7 },
      containers: POD_FIXTURES.flatMap((fixture) => EXPECTED[fixture].containers),
      tasks: POD_FIXTURES.flatMap((fixture) => EXPECTED[fixture].tasks),
    });
    expect(snapshot.containers).toHaveLength(9);
    expect(snapshot.tasks).toHaveLength(12);
    expect(skipped).toEqual([]);
  });
});

describe('mapPodList node dimensions', () => {
  it('prefers the configured node name over the pods', () => {
    const { snapshot } = mapRecordingSkips(podList(loadPod('bare-pod-docker')), { nodeName: 'ip-10-0-3-17' });
    expect(snapshot.node).toStrictEqual({ agent_id: 'ip-10-0-3-17', hostname: 'ip-10-0-3-17' });
  });

  it("treats '' options as not set, as the configuration spells it", () => {
    const { snapshot } = mapRecordingSkips(podList(loadPod('bare-pod-docker')), {
      nodeName: '',
      clusterId: '',
    });
    expect(snapshot.node).toStrictEqual(NODE_A7);
  });

  it('has no node name while no pod is listed and none is configured', () => {
    expect(mapPodList(podList(), {}).node).toStrictEqual({});
    expect(mapPodList(podList(), { clusterId: 'prod-eu' })).toStrictEqual({
      node: { cluster_id: 'prod-eu' },
      containers: [],
      tasks: [],
    });
  });

  it('takes the first pod that has a spec.nodeName', () => {
    const unscheduled = loadPod('pending');
    delete (unscheduled.spec as Record<string, unknown>).nodeName;
    const { snapshot } = mapRecordingSkips(podList(unscheduled, loadPod('bare-pod-docker')));
    expect(snapshot.node).toStrictEqual(NODE_A7);
  });
});

describe('mapPodList edge cases', () => {
  it('gives a hostNetwork pod no IPs: it shares the node address', () => {
    const pod = loadPod('bare-pod-docker');
    (pod.spec as Record<string, unknown>).hostNetwork = true;
    (pod.status as Record<string, unknown>).podIPs = [{ ip: '10.0.3.17' }];
    const { snapshot } = mapRecordingSkips(podList(pod));
    expect(snapshot.containers.map((container) => container.ips)).toEqual([[]]);
  });

  it('deduplicates pod IPs and falls back to podIP', () => {
    const pod = loadPod('bare-pod-docker');
    (pod.status as Record<string, unknown>).podIPs = [{ ip: '10.244.3.77' }, { ip: '10.244.3.77' }, {}];
    expect(mapPodList(podList(pod)).containers[0]?.ips).toEqual(['10.244.3.77']);
    (pod.status as Record<string, unknown>).podIPs = [];
    (pod.status as Record<string, unknown>).podIP = '10.244.3.78';
    expect(mapPodList(podList(pod)).containers[0]?.ips).toEqual(['10.244.3.78']);
  });

  it('marks every spec container of an evicted pod without statuses lost, run 0', () => {
    const pod = loadPod('evicted');
    delete (pod.status as Record<string, unknown>).containerStatuses;
    const { snapshot, skipped } = mapRecordingSkips(podList(pod));
    expect(snapshot.containers).toEqual([]);
    expect(snapshot.tasks).toStrictEqual([
      {
        key: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70/redis/0',
        state: 'lost',
        reason: 'Evicted',
        dimensions: {
          framework_id: 'shop/Deployment/cache',
          framework_name: 'cache',
          framework_role: 'shop',
          executor_id: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70',
          task_id: 'shop/cache-7b6f5d9c8-lm2vz',
          task_name: 'cache-7b6f5d9c8-lm2vz',
          labels: { app: 'cache', 'pod-template-hash': '7b6f5d9c8', container_name: 'redis' },
        },
      },
    ]);
    expect(skipped).toEqual([]);
  });

  it('keeps the restart count of an evicted container that had restarted', () => {
    const pod = loadPod('evicted');
    const [redis] = (pod.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses;
    redis!.restartCount = 2;
    redis!.lastState = { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-14T07:00:00Z' } };
    const { snapshot } = mapRecordingSkips(podList(pod));
    expect(
      snapshot.tasks.map(({ key, state, reason, exitCode }) => ({ key, state, reason, exitCode })),
    ).toEqual([
      { key: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70/redis/1', state: 'failed', reason: 'Error', exitCode: 1 },
      {
        key: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70/redis/2',
        state: 'lost',
        reason: 'Evicted',
        exitCode: 137,
      },
    ]);
    // The previous run's container id is not known (no lastState containerID): left out.
    expect(snapshot.tasks[0]?.dimensions.container_id).toBeUndefined();
  });

  it('maps a pending pod with ContainerCreating statuses to staging with the reason', () => {
    const pod = loadPod('pending');
    (pod.status as Record<string, unknown>).initContainerStatuses = [
      {
        name: 'migrate',
        state: { waiting: { reason: 'PodInitializing' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: 'registry.example.com/shop/web:3.2.0',
        imageID: '',
        started: false,
      },
    ];
    const { snapshot } = mapRecordingSkips(podList(pod));
    expect(snapshot.containers).toEqual([]);
    expect(snapshot.tasks.map(({ key, state, reason }) => ({ key, state, reason }))).toEqual([
      { key: '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b/migrate/0', state: 'staging', reason: 'PodInitializing' },
      // web has no status yet: a spec container of a pending pod.
      { key: '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b/web/0', state: 'staging', reason: undefined },
    ]);
  });

  it('maps ephemeral container statuses like the others', () => {
    const pod = loadPod('bare-pod-docker');
    const debuggerId = 'e'.repeat(64);
    (pod.status as Record<string, unknown>).ephemeralContainerStatuses = [
      {
        name: 'debugger-x7k2q',
        state: { running: { startedAt: '2024-05-14T10:30:00Z' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        containerID: `containerd://${debuggerId}`,
      },
    ];
    const { snapshot } = mapRecordingSkips(podList(pod));
    expect(snapshot.containers.map((container) => container.containerId)).toEqual([
      '0b8e9e995d8d77f1e4770f0f79665aee6f3f70247b3735422daba73df4c3096f',
      debuggerId,
    ]);
    expect(snapshot.tasks[1]).toStrictEqual({
      key: '8e4f2a1b-3c5d-4e6f-a7b8-c9d0e1f2a3b4/debugger-x7k2q/0',
      state: 'running',
      sinceMs: Date.parse('2024-05-14T10:30:00Z'),
      dimensions: {
        framework_id: 'default/Pod/debug-shell',
        framework_name: 'debug-shell',
        framework_role: 'default',
        executor_id: '8e4f2a1b-3c5d-4e6f-a7b8-c9d0e1f2a3b4',
        task_id: 'default/debug-shell',
        task_name: 'debug-shell',
        container_id: debuggerId,
        labels: { run: 'debug-shell', container_name: 'debugger-x7k2q' },
      },
    });
  });

  it('lets container_name win over a pod label of the same name', () => {
    const pod = loadPod('bare-pod-docker');
    (pod.metadata as { labels: Record<string, unknown> }).labels = { container_name: 'x', replicas: 3 };
    expect(mapPodList(podList(pod)).containers[0]?.dimensions.labels).toStrictEqual({
      container_name: 'debug-shell',
    });
  });
});

describe('mapPodList with wrong shapes', () => {
  it('skips and counts what it cannot map, and maps the rest', () => {
    const withoutUid = loadPod('bare-pod-docker');
    delete (withoutUid.metadata as Record<string, unknown>).uid;
    const withoutName = loadPod('job-completed');
    delete (withoutName.metadata as Record<string, unknown>).name;
    const statusWithoutName = loadPod('statefulset-crio');
    delete (statusWithoutName.status as { containerStatuses: Record<string, unknown>[] })
      .containerStatuses[0]!.name;
    const oddContainerId = loadPod('crashloop-oom');
    (oddContainerId.status as { containerStatuses: Record<string, unknown>[] })
      .containerStatuses[0]!.containerID = 'containerd://not-hex';
    const specWithoutName = loadPod('pending');
    delete (specWithoutName.spec as { containers: Record<string, unknown>[] }).containers[0]!.name;

    const { snapshot, skipped } = mapRecordingSkips(
      podList(null, 'pod', withoutUid, withoutName, statusWithoutName, oddContainerId, specWithoutName),
    );

    expect(skipped).toEqual([
      'pod_without_uid',
      'pod_without_uid',
      'pod_without_uid',
      'pod_without_name',
      'container_status_without_name',
      'container_id_unparsable',
      'container_spec_without_name',
    ]);
    // postgres-0 keeps its named container; the crash-looping pod keeps its tasks (the current
    // run never had the id; the previous run's comes from lastState); pending keeps migrate.
    expect(snapshot.containers).toStrictEqual([EXPECTED['statefulset-crio'].containers[1]]);
    expect(snapshot.tasks).toStrictEqual([
      EXPECTED['statefulset-crio'].tasks[1],
      ...EXPECTED['crashloop-oom'].tasks,
      EXPECTED.pending.tasks[0],
    ]);
  });

  it('treats a missing or negative restart count as run 0', () => {
    const pod = loadPod('bare-pod-docker');
    const [status] = (pod.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses;
    delete status!.restartCount;
    expect(mapPodList(podList(pod)).tasks[0]?.key).toBe('8e4f2a1b-3c5d-4e6f-a7b8-c9d0e1f2a3b4/debug-shell/0');
    status!.restartCount = -1;
    expect(mapPodList(podList(pod)).tasks[0]?.key).toBe('8e4f2a1b-3c5d-4e6f-a7b8-c9d0e1f2a3b4/debug-shell/0');
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a Status', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', code: 401 }],
    ['items not an array', { kind: 'PodList', items: {} }],
  ])('rejects %s as malformed', (_name, body) => {
    let caught: unknown;
    try {
      mapPodList(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MetadataError);
    expect((caught as MetadataError).reason).toBe('malformed');
  });
});

describe('workloadOf', () => {
  const replicaSet = (name: string, controller?: boolean) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name,
    uid: 'u',
    ...(controller === undefined ? {} : { controller }),
  });

  it('derives the Deployment from a ReplicaSet named <deployment>-<pod-template-hash>', () => {
    expect(
      workloadOf('api-85f7c9d6b-2xv9k', { 'pod-template-hash': '85f7c9d6b' }, [replicaSet('api-85f7c9d6b')]),
    ).toEqual({ kind: 'Deployment', name: 'api' });
  });

  it('keeps the ReplicaSet when the hash label is missing or is not its suffix', () => {
    expect(workloadOf('p', {}, [replicaSet('api-85f7c9d6b')])).toEqual({
      kind: 'ReplicaSet',
      name: 'api-85f7c9d6b',
    });
    expect(workloadOf('p', { 'pod-template-hash': 'abc' }, [replicaSet('api-85f7c9d6b')])).toEqual({
      kind: 'ReplicaSet',
      name: 'api-85f7c9d6b',
    });
    // A ReplicaSet named just "-<hash>" would leave an empty Deployment name.
    expect(workloadOf('p', { 'pod-template-hash': 'abc' }, [replicaSet('-abc')])).toEqual({
      kind: 'ReplicaSet',
      name: '-abc',
    });
  });

  it('takes the controlling owner over the first one', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'c' };
    const daemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: 'node-exporter',
      uid: 'd',
      controller: true,
    };
    expect(workloadOf('p', {}, [configMap, daemonSet])).toEqual({ kind: 'DaemonSet', name: 'node-exporter' });
    expect(workloadOf('p', {}, [configMap, { ...daemonSet, controller: false }])).toEqual({
      kind: 'ConfigMap',
      name: 'cfg',
    });
  });

  it('keeps a Job name as it is, CronJob suffix included', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', name: 'report-28597380', uid: 'j', controller: true };
    expect(workloadOf('report-28597380-5jq7w', { 'batch.kubernetes.io/controller-uid': 'j' }, [job])).toEqual(
      {
        kind: 'Job',
        name: 'report-28597380',
      },
    );
  });

  it('makes a pod without (usable) owners its own workload', () => {
    expect(workloadOf('debug-shell', {}, [])).toEqual({ kind: 'Pod', name: 'debug-shell' });
    expect(
      workloadOf('debug-shell', {}, [null, 'x', { kind: 'ReplicaSet' }, { name: 'n', controller: true }]),
    ).toEqual({
      kind: 'Pod',
      name: 'debug-shell',
    });
  });
});
