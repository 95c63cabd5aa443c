import type { ContainerMetadata } from '../../provider.js';
import { withContainerId } from './dimensions.js';
import { containerIdOf, ipsOf, mergeIps } from './fields.js';
import { isObject, text } from './json-shapes.js';
import type { MesosExecutor } from './state-walk.js';

type SkipCounter = (reason: string) => void;

function executorKey(frameworkId: string, executorId: string): string {
  return `${frameworkId}\n${executorId}`;
}

/**
 * Adds the containers of an agent's GET /containers that no task status links (an executor's
 * own container, the parent of a pod's nested ones; a debug container) to `known`, attributed
 * to their executor by (framework_id, executor_id). The executor's `container` field in /state
 * is not used: it need not match what /containers reports. A container of no known executor is
 * left out (the cgroup source still sees it, tagged with its id alone).
 */
export function joinAgentContainers(
  body: unknown,
  known: Map<string, ContainerMetadata>,
  executors: readonly MesosExecutor[],
  onSkipped: SkipCounter,
): void {
  if (!Array.isArray(body)) {
    onSkipped('containers_malformed');
    return;
  }
  const executorsByKey = new Map<string, MesosExecutor>();
  for (const executor of executors) {
    if (executor.executorId === undefined) continue;
    const key = executorKey(executor.frameworkId, executor.executorId);
    // A live executor comes first and wins over a completed one reusing its id.
    if (!executorsByKey.has(key)) executorsByKey.set(key, executor);
  }
  for (const entry of body) {
    if (!isObject(entry)) {
      onSkipped('container_not_object');
      continue;
    }
    const status = isObject(entry.status) ? entry.status : {};
    const containerId = containerIdOf(entry.container_id) ?? containerIdOf(status.container_id);
    if (containerId === undefined) {
      onSkipped('container_without_id');
      continue;
    }
    const ips = ipsOf(status);
    const linked = known.get(containerId);
    if (linked !== undefined) {
      linked.ips = mergeIps(linked.ips, ips);
      continue;
    }
    const frameworkId = text(entry.framework_id);
    const executorId = text(entry.executor_id);
    const executor =
      frameworkId === undefined || executorId === undefined
        ? undefined
        : executorsByKey.get(executorKey(frameworkId, executorId));
    if (executor === undefined) {
      onSkipped('unmatched_container');
      continue;
    }
    // With a single task the executor's container is that task's, as far as anyone can tell.
    const soleTask = executor.tasks.length === 1 ? executor.tasks[0] : undefined;
    known.set(containerId, {
      containerId,
      dimensions: withContainerId(soleTask?.dimensions ?? executor.dimensions, containerId),
      ips,
    });
  }
}
