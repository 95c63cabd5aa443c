import {
  type ContainerMetadata,
  MetadataError,
  type MetadataSnapshot,
  type TaskObservation,
} from '../../provider.js';
import { joinAgentContainers } from './container-join.js';
import { compact, withContainerId } from './dimensions.js';
import { mergeIps } from './fields.js';
import { isObject, text } from './json-shapes.js';
import { type MesosExecutor, type MesosTask, walkAgentState } from './state-walk.js';

export interface StateMappingOptions {
  clusterId?: string;
  /** Called once per item left out, with a short reason ('task_without_id'). */
  onSkipped: (reason: string) => void;
}

/**
 * One container per container id that task statuses name. A container shared by several
 * tasks (a custom executor running them in its own container) gets its executor's dimensions:
 * no single task owns it.
 */
function containersOfTasks(executors: readonly MesosExecutor[]): Map<string, ContainerMetadata> {
  const groups = new Map<string, { executor: MesosExecutor; tasks: MesosTask[] }>();
  for (const executor of executors) {
    for (const task of executor.tasks) {
      if (task.containerId === undefined) continue;
      const group = groups.get(task.containerId);
      if (group === undefined) groups.set(task.containerId, { executor, tasks: [task] });
      else group.tasks.push(task);
    }
  }
  const containers = new Map<string, ContainerMetadata>();
  for (const [containerId, { executor, tasks }] of groups) {
    const owner = tasks.length === 1 ? tasks[0]!.dimensions : executor.dimensions;
    containers.set(containerId, {
      containerId,
      dimensions: withContainerId(owner, containerId),
      ips: tasks.reduce<string[]>((ips, task) => mergeIps(ips, task.ips), []),
    });
  }
  return containers;
}

function observationsOf(
  executors: readonly MesosExecutor[],
  onSkipped: (reason: string) => void,
): TaskObservation[] {
  const observations: TaskObservation[] = [];
  for (const executor of executors) {
    for (const task of executor.tasks) {
      if (task.state === undefined) {
        onSkipped('unknown_task_state');
        continue;
      }
      observations.push({
        key: task.key,
        ...task.state,
        dimensions: withContainerId(task.dimensions, task.containerId),
      });
    }
  }
  return observations;
}

/**
 * Maps a Mesos agent's GET /state body, and its GET /containers body when it could be read
 * (undefined otherwise), to a snapshot. Only a /state that is not an agent state at all
 * throws (MetadataError 'malformed'); an item of the wrong shape is left out and counted.
 */
export function mapAgentState(
  state: unknown,
  containersBody: unknown,
  options: StateMappingOptions,
): MetadataSnapshot {
  if (!isObject(state) || !Array.isArray(state.frameworks)) {
    throw new MetadataError('malformed', 'GET /state is not an agent state (no frameworks array)');
  }
  const node = compact({
    cluster_id: options.clusterId,
    agent_id: text(state.id),
    hostname: text(state.hostname),
  });
  const executors = walkAgentState(state, options.onSkipped);
  const containers = containersOfTasks(executors);
  if (containersBody !== undefined) {
    joinAgentContainers(containersBody, containers, executors, options.onSkipped);
  }
  return {
    node,
    containers: [...containers.values()],
    tasks: observationsOf(executors, options.onSkipped),
  };
}
