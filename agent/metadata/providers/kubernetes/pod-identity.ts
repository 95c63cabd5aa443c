import type { Dimensions } from '../../../../lib/model/dimensions.js';
import {
  arrayField,
  asObject,
  type JsonObject,
  objectField,
  stringField,
  stringMapField,
} from './json-fields.js';

/** What groups a pod's containers: the workload that created the pod, or the pod itself. */
export interface Workload {
  /** 'Deployment' when derived from a ReplicaSet, 'Pod' for a bare pod, else the owner's kind. */
  kind: string;
  name: string;
}

/** The fields of a pod every container's dimensions are made of. */
export interface PodIdentity {
  uid: string;
  name: string;
  namespace: string;
  workload: Workload;
  labels: Record<string, string>;
  ips: string[];
}

/** Label the ReplicaSet controller puts on a Deployment's pods; the ReplicaSet's name ends in it. */
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** The workload a pod belongs to, from its controlling owner reference (see README.md). */
export function workloadOf(
  podName: string,
  labels: Readonly<Record<string, string>>,
  ownerReferences: readonly unknown[],
): Workload {
  const owners = ownerReferences
    .map(asObject)
    .filter((owner) => stringField(owner, 'kind') !== undefined && stringField(owner, 'name') !== undefined);
  const owner = owners.find((candidate) => candidate?.controller === true) ?? owners[0];
  if (owner === undefined) return { kind: 'Pod', name: podName };
  const kind = stringField(owner, 'kind')!;
  const name = stringField(owner, 'name')!;
  const hash = labels[POD_TEMPLATE_HASH_LABEL];
  // A Deployment names its ReplicaSets <deployment>-<hash>; each rollout makes a new one, and
  // grouping by the Deployment keeps one workload across rollouts.
  if (
    kind === 'ReplicaSet' &&
    hash !== undefined &&
    name.endsWith(`-${hash}`) &&
    name.length > hash.length + 1
  ) {
    return { kind: 'Deployment', name: name.slice(0, -(hash.length + 1)) };
  }
  return { kind, name };
}

/** status.podIPs (dual stack), else status.podIP, deduplicated in order. */
export function podIpsOf(status: JsonObject | undefined): string[] {
  const ips = arrayField(status, 'podIPs')
    .map((entry) => stringField(asObject(entry), 'ip'))
    .filter((ip): ip is string => ip !== undefined);
  const single = stringField(status, 'podIP');
  if (ips.length === 0 && single !== undefined) ips.push(single);
  return [...new Set(ips)];
}

/** Why a pod was left out of a snapshot, or its identity. */
export type PodIdentityResult =
  | { identity: PodIdentity }
  | { skipped: 'pod_without_uid' | 'pod_without_name' };

export function readPodIdentity(pod: JsonObject | undefined): PodIdentityResult {
  const metadata = objectField(pod, 'metadata');
  const uid = stringField(metadata, 'uid');
  if (uid === undefined) return { skipped: 'pod_without_uid' };
  const name = stringField(metadata, 'name');
  const namespace = stringField(metadata, 'namespace');
  if (name === undefined || namespace === undefined) return { skipped: 'pod_without_name' };
  const labels = stringMapField(metadata, 'labels');
  const spec = objectField(pod, 'spec');
  // A hostNetwork pod reports the node's address: claiming it would attribute every StatsD line
  // the node's own daemons send to this pod.
  const ips = spec?.hostNetwork === true ? [] : podIpsOf(objectField(pod, 'status'));
  return {
    identity: {
      uid,
      name,
      namespace,
      workload: workloadOf(name, labels, arrayField(metadata, 'ownerReferences')),
      labels,
      ips,
    },
  };
}

/** A container's dimensions (all but the node's); container_id only when the run has a container. */
export function containerDimensions(
  pod: PodIdentity,
  containerName: string,
  containerId?: string,
): Dimensions {
  const dimensions: Dimensions = {
    framework_id: `${pod.namespace}/${pod.workload.kind}/${pod.workload.name}`,
    framework_name: pod.workload.name,
    framework_role: pod.namespace,
    executor_id: pod.uid,
    task_id: `${pod.namespace}/${pod.name}`,
    task_name: pod.name,
  };
  if (containerId !== undefined) dimensions.container_id = containerId;
  // container_name last: it names the container even if a pod label is called the same.
  dimensions.labels = { ...pod.labels, container_name: containerName };
  return dimensions;
}
