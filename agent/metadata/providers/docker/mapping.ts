/**
 * Docker Engine API JSON onto the snapshot (README.md has the table): the node from /info, and a
 * ContainerMetadata plus a TaskObservation per inspected container. Pure functions, no I/O.
 */

import type { Dimensions } from '../../../../lib/model/dimensions.js';
import type { ContainerMetadata, MetadataSnapshot, SkipCounter, TaskObservation } from '../../provider.js';
import type { DockerContainerInspect, DockerInfo } from './api.js';
import { dockerTimeMs, isStoppedStatus, TRANSIENT_STATUSES, taskStateOf } from './state.js';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
/** The label the image goes into, image not being a dimension of its own. */
export const IMAGE_LABEL = 'image';

export interface SnapshotOptions {
  /** Configured cluster id; wins over the swarm's. */
  clusterId?: string;
  onSkipped?: SkipCounter;
}

/** cluster_id, agent_id and hostname of the node; empty values are left out. */
export function nodeDimensions(info: DockerInfo, clusterId?: string): Dimensions {
  const node: Dimensions = {};
  const cluster = clusterId || info.Swarm?.Cluster?.ID;
  if (cluster) node.cluster_id = cluster;
  if (info.ID !== '') node.agent_id = info.ID;
  if (info.Name !== '') node.hostname = info.Name;
  return node;
}

/**
 * framework_id/framework_name (the compose project) and executor_id (the compose service), from
 * a container's labels or a container event's attributes (which carry the labels too).
 */
export function composeDimensions(labels: Readonly<Record<string, string>>): Dimensions {
  const dimensions: Dimensions = {};
  const project = labels[COMPOSE_PROJECT_LABEL];
  if (project !== undefined) {
    dimensions.framework_id = project;
    dimensions.framework_name = project;
  }
  const service = labels[COMPOSE_SERVICE_LABEL];
  if (service !== undefined) dimensions.executor_id = service;
  return dimensions;
}

/** Docker names start with "/" in the API, not on the command line. */
export function containerName(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** The container's dimensions, labels unfiltered with the image added under "image". */
export function containerDimensions(inspect: DockerContainerInspect): Dimensions {
  const labels: Record<string, string> = { ...inspect.Config?.Labels };
  const image = inspect.Config?.Image;
  // A label the user set wins: it is the more deliberate of the two.
  if (image !== undefined && image !== '' && !Object.hasOwn(labels, IMAGE_LABEL)) labels[IMAGE_LABEL] = image;
  return {
    ...composeDimensions(labels),
    task_id: inspect.Id,
    task_name: containerName(inspect.Name),
    container_id: inspect.Id,
    labels,
  };
}

/** IPv4 and global IPv6 addresses over all the container's networks, deduplicated, in order. */
export function containerIps(inspect: DockerContainerInspect): string[] {
  const ips = new Set<string>();
  for (const endpoint of Object.values(inspect.NetworkSettings?.Networks ?? {})) {
    if (endpoint?.IPAddress) ips.add(endpoint.IPAddress);
    if (endpoint?.GlobalIPv6Address) ips.add(endpoint.GlobalIPv6Address);
  }
  return [...ips];
}

export function containerMetadataOf(inspect: DockerContainerInspect): ContainerMetadata {
  return { containerId: inspect.Id, dimensions: containerDimensions(inspect), ips: containerIps(inspect) };
}

/** When the container entered its current state, as far as inspect tells. */
function sinceMsOf(inspect: DockerContainerInspect): number | undefined {
  const { Status, StartedAt, FinishedAt } = inspect.State;
  if (Status === 'created') return dockerTimeMs(inspect.Created);
  if (Status === 'running' || Status === 'paused') return dockerTimeMs(StartedAt);
  if (isStoppedStatus(Status)) return dockerTimeMs(FinishedAt);
  // restarting: Docker keeps no time for it; the tracker uses when it saw it.
  return undefined;
}

/**
 * The container as a task; undefined while it is being removed, or (counted as unknown_state)
 * when Docker reports a status this code does not know.
 */
export function taskObservationOf(
  inspect: DockerContainerInspect,
  onSkipped?: SkipCounter,
): TaskObservation | undefined {
  if (TRANSIENT_STATUSES.has(inspect.State.Status)) return undefined;
  const state = taskStateOf(inspect.State);
  if (state === undefined) {
    onSkipped?.('unknown_state');
    return undefined;
  }
  const observation: TaskObservation = { key: inspect.Id, state, dimensions: containerDimensions(inspect) };
  const sinceMs = sinceMsOf(inspect);
  if (sinceMs !== undefined) observation.sinceMs = sinceMs;
  if (state === 'oom_killed') observation.reason = 'OOMKilled';
  else if (inspect.State.Error) observation.reason = inspect.State.Error;
  if (isStoppedStatus(inspect.State.Status) && inspect.State.ExitCode !== undefined)
    observation.exitCode = inspect.State.ExitCode;
  return observation;
}

/** The whole snapshot: every inspected container, and each one's task. */
export function snapshotOf(
  info: DockerInfo,
  inspects: readonly DockerContainerInspect[],
  options: SnapshotOptions = {},
): MetadataSnapshot {
  const tasks: TaskObservation[] = [];
  for (const inspect of inspects) {
    const task = taskObservationOf(inspect, options.onSkipped);
    if (task !== undefined) tasks.push(task);
  }
  return {
    node: nodeDimensions(info, options.clusterId),
    containers: inspects.map(containerMetadataOf),
    tasks,
  };
}
