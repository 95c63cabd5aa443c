import type { Dimensions } from '../../../../lib/model/dimensions.js';
import {
  type ContainerMetadata,
  MetadataError,
  type MetadataSnapshot,
  type SkipCounter,
  type TaskObservation,
} from '../../provider.js';
import { parseContainerId } from './container-id.js';
import { type RunState, runStateOf, terminatedRunState, withOptional } from './container-state.js';
import {
  arrayField,
  asObject,
  integerField,
  type JsonObject,
  objectField,
  stringField,
  timeField,
} from './json-fields.js';
import { containerDimensions, type PodIdentity, readPodIdentity } from './pod-identity.js';

/** What onSkipped is called with: a fixed set, so it can be a metric label. */
export const KUBERNETES_SKIP_REASONS = [
  'pod_without_uid',
  'pod_without_name',
  'container_status_without_name',
  'container_spec_without_name',
  'container_id_unparsable',
] as const;

export type KubernetesSkipReason = (typeof KUBERNETES_SKIP_REASONS)[number];

export interface PodListMappingOptions {
  /** '' means none. */
  clusterId?: string;
  /** The node's name; default (also for ''): the pods' spec.nodeName. */
  nodeName?: string;
  onSkipped?: SkipCounter;
}

/** Maps a v1 PodList as GET /pods on the kubelet returns it (README.md has the table). */
export function mapPodList(body: unknown, options: PodListMappingOptions = {}): MetadataSnapshot {
  const items = asObject(body)?.items;
  if (!Array.isArray(items)) {
    throw new MetadataError('malformed', 'the kubelet /pods answer is not a PodList (it has no items array)');
  }
  const out: SnapshotBuilder = {
    containers: [],
    tasks: [],
    skip: options.onSkipped ?? (() => {}),
  };
  let podsNodeName: string | undefined;
  for (const item of items) {
    const pod = asObject(item);
    const read = readPodIdentity(pod);
    if ('skipped' in read) {
      out.skip(read.skipped);
      continue;
    }
    podsNodeName ??= stringField(objectField(pod, 'spec'), 'nodeName');
    mapPod(pod!, read.identity, out);
  }
  const node: Dimensions = {};
  // '' is how the configuration says "not set".
  if (options.clusterId) node.cluster_id = options.clusterId;
  const nodeName = options.nodeName || podsNodeName;
  if (nodeName !== undefined) {
    node.agent_id = nodeName;
    node.hostname = nodeName;
  }
  return { node, containers: out.containers, tasks: out.tasks };
}

interface SnapshotBuilder {
  containers: ContainerMetadata[];
  tasks: TaskObservation[];
  skip: (reason: KubernetesSkipReason) => void;
}

/** A pod's container statuses and the spec entries they belong to, one kind at a time. */
interface ContainerGroup {
  statuses: readonly unknown[];
  specs: readonly unknown[];
  /** Regular containers are the ones an eviction kills; init containers have completed by then. */
  regular: boolean;
}

function mapPod(pod: JsonObject, identity: PodIdentity, out: SnapshotBuilder): void {
  const spec = objectField(pod, 'spec');
  const status = objectField(pod, 'status');
  const phase = stringField(status, 'phase');
  const podReason = stringField(status, 'reason');
  const evicted = phase === 'Failed' && podReason === 'Evicted';
  const pending = phase === undefined || phase === 'Pending';
  const groups: ContainerGroup[] = [
    {
      statuses: arrayField(status, 'initContainerStatuses'),
      specs: arrayField(spec, 'initContainers'),
      regular: false,
    },
    {
      statuses: arrayField(status, 'containerStatuses'),
      specs: arrayField(spec, 'containers'),
      regular: true,
    },
    // Ephemeral (debug) containers are not set up ahead: only their statuses count.
    { statuses: arrayField(status, 'ephemeralContainerStatuses'), specs: [], regular: false },
  ];
  for (const group of groups) {
    const withStatus = new Set<string>();
    for (const entry of group.statuses) {
      const containerStatus = asObject(entry);
      const name = stringField(containerStatus, 'name');
      if (name === undefined) {
        out.skip('container_status_without_name');
        continue;
      }
      withStatus.add(name);
      mapContainerStatus(identity, name, containerStatus!, evicted && group.regular, out);
    }
    const unstartedRun = runWithoutStatus(evicted && group.regular, pending);
    if (unstartedRun === undefined) continue;
    // Containers the kubelet has no status for: one run each, the first (restart count 0).
    for (const entry of group.specs) {
      const name = stringField(asObject(entry), 'name');
      if (name === undefined) {
        out.skip('container_spec_without_name');
        continue;
      }
      if (withStatus.has(name)) continue;
      out.tasks.push(observation(identity, name, 0, { ...unstartedRun }));
    }
  }
}

/** The run of a spec container without a status: lost to an eviction, or not set up yet. */
function runWithoutStatus(evicted: boolean, pending: boolean): RunState | undefined {
  if (evicted) return { state: 'lost', reason: 'Evicted' };
  if (pending) return { state: 'staging' };
  // A running or finished pod lists every container it started: nothing is missing.
  return undefined;
}

function mapContainerStatus(
  identity: PodIdentity,
  name: string,
  containerStatus: JsonObject,
  evicted: boolean,
  out: SnapshotBuilder,
): void {
  const restartCount = Math.max(0, integerField(containerStatus, 'restartCount') ?? 0);
  const rawContainerId = stringField(containerStatus, 'containerID');
  const containerId = rawContainerId === undefined ? undefined : parseContainerId(rawContainerId);
  if (rawContainerId !== undefined && containerId === undefined) out.skip('container_id_unparsable');
  if (containerId !== undefined) {
    out.containers.push({
      containerId,
      dimensions: containerDimensions(identity, name, containerId),
      ips: [...identity.ips],
    });
  }
  // The previous run, its own task: each crash of a crash-looping container is seen once.
  const lastTerminated = objectField(objectField(containerStatus, 'lastState'), 'terminated');
  if (lastTerminated !== undefined && restartCount > 0) {
    const previousRawId = stringField(lastTerminated, 'containerID');
    const previousId = previousRawId === undefined ? undefined : parseContainerId(previousRawId);
    out.tasks.push(
      observation(identity, name, restartCount - 1, terminatedRunState(lastTerminated), previousId),
    );
  }
  const state = objectField(containerStatus, 'state');
  const terminated = objectField(state, 'terminated');
  const run = evicted
    ? withOptional(
        { state: 'lost' },
        timeField(terminated, 'finishedAt'),
        'Evicted',
        integerField(terminated, 'exitCode'),
      )
    : runStateOf(state);
  // A waiting run has no container yet; containerID then still names the previous run's.
  const ownContainer = terminated !== undefined || objectField(state, 'running') !== undefined;
  out.tasks.push(observation(identity, name, restartCount, run, ownContainer ? containerId : undefined));
}

function observation(
  identity: PodIdentity,
  containerName: string,
  restartCount: number,
  run: RunState,
  containerId?: string,
): TaskObservation {
  return {
    key: `${identity.uid}/${containerName}/${restartCount}`,
    ...run,
    dimensions: containerDimensions(identity, containerName, containerId),
  };
}
