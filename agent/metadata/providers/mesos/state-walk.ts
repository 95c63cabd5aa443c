import type { Dimensions, TaskStateName } from '../../../../lib/model/dimensions.js';
import { compact } from './dimensions.js';
import { labelsOf } from './fields.js';
import { isObject, type JsonObject, listField, text } from './json-shapes.js';
import { type ObservedState, observedState, taskContainer } from './task-statuses.js';

type SkipCounter = (reason: string) => void;

/** A task of the agent's /state, with what the snapshot needs of it. */
export interface MesosTask {
  /** `${framework_id}/${task_id}`: unique on the agent, stable across polls. */
  key: string;
  /** framework_*, executor_id, task_id, task_name, labels; no container_id. */
  dimensions: Dimensions;
  containerId?: string;
  ips: string[];
  /** Undefined when the task is in no state this provider knows. */
  state?: ObservedState;
}

/** An executor of the agent's /state: what its containers are attributed to. */
export interface MesosExecutor {
  frameworkId: string;
  executorId?: string;
  /** framework_*, executor_id, labels (the executor's own). */
  dimensions: Dimensions;
  tasks: MesosTask[];
}

/** Where tasks sit in an agent executor, and the state of a task that has no status yet. */
const TASK_LISTS: ReadonlyArray<{ field: string; stateless?: TaskStateName }> = [
  { field: 'tasks' },
  // Waiting for the executor to register: not sent to it yet, so staging.
  { field: 'queued_tasks', stateless: 'staging' },
  { field: 'completed_tasks' },
];

interface FrameworkContext {
  id: string;
  name?: string;
  role?: string;
}

interface ExecutorContext {
  id?: string;
  labels: Record<string, string>;
}

function mapTask(
  task: JsonObject,
  framework: FrameworkContext,
  executor: ExecutorContext,
  stateless: TaskStateName | undefined,
  onSkipped: SkipCounter,
): MesosTask | undefined {
  const taskId = text(task.id);
  if (taskId === undefined) {
    onSkipped('task_without_id');
    return undefined;
  }
  const statuses: JsonObject[] = [];
  for (const status of listField(task, 'statuses', onSkipped)) {
    if (isObject(status)) statuses.push(status);
    else onSkipped('status_not_object');
  }
  const container = taskContainer(statuses);
  const dimensions = compact({
    framework_id: framework.id,
    framework_name: framework.name,
    // A multi-role framework's task carries the role it was launched under.
    framework_role: text(task.role) ?? framework.role,
    // A command task's executor_id is "": its executor is named after the task.
    executor_id: executor.id ?? text(task.executor_id) ?? taskId,
    task_id: taskId,
    task_name: text(task.name),
    labels: { ...executor.labels, ...labelsOf(task, onSkipped) },
  });
  const mapped: MesosTask = { key: `${framework.id}/${taskId}`, dimensions, ips: container.ips };
  if (container.containerId !== undefined) mapped.containerId = container.containerId;
  const state = observedState(task, statuses, stateless);
  if (state !== undefined) mapped.state = state;
  return mapped;
}

function mapExecutor(
  executor: JsonObject,
  framework: FrameworkContext,
  seenTaskKeys: Set<string>,
  onSkipped: SkipCounter,
): MesosExecutor {
  const executorId = text(executor.id);
  const context: ExecutorContext = { labels: labelsOf(executor, onSkipped) };
  if (executorId !== undefined) context.id = executorId;
  const mapped: MesosExecutor = {
    frameworkId: framework.id,
    dimensions: compact({
      framework_id: framework.id,
      framework_name: framework.name,
      framework_role: framework.role,
      executor_id: executorId,
      labels: context.labels,
    }),
    tasks: [],
  };
  if (executorId !== undefined) mapped.executorId = executorId;
  for (const { field, stateless } of TASK_LISTS) {
    for (const task of listField(executor, field, onSkipped)) {
      if (!isObject(task)) {
        onSkipped('task_not_object');
        continue;
      }
      const mappedTask = mapTask(task, framework, context, stateless, onSkipped);
      if (mappedTask === undefined) continue;
      // Keys must stay unique: of a task listed twice, the first (live) listing counts.
      if (seenTaskKeys.has(mappedTask.key)) {
        onSkipped('duplicate_task');
        continue;
      }
      seenTaskKeys.add(mappedTask.key);
      mapped.tasks.push(mappedTask);
    }
  }
  return mapped;
}

/**
 * Every executor of an agent's /state, live ones first (frameworks, then
 * completed_frameworks; executors, then completed_executors), each with its tasks.
 */
export function walkAgentState(state: JsonObject, onSkipped: SkipCounter): MesosExecutor[] {
  const executors: MesosExecutor[] = [];
  const seenTaskKeys = new Set<string>();
  for (const frameworkList of ['frameworks', 'completed_frameworks']) {
    for (const framework of listField(state, frameworkList, onSkipped)) {
      if (!isObject(framework)) {
        onSkipped('framework_not_object');
        continue;
      }
      const id = text(framework.id);
      if (id === undefined) {
        onSkipped('framework_without_id');
        continue;
      }
      const context: FrameworkContext = { id };
      const name = text(framework.name);
      if (name !== undefined) context.name = name;
      const role = text(framework.role);
      if (role !== undefined) context.role = role;
      for (const executorList of ['executors', 'completed_executors']) {
        for (const executor of listField(framework, executorList, onSkipped)) {
          if (!isObject(executor)) {
            onSkipped('executor_not_object');
            continue;
          }
          executors.push(mapExecutor(executor, context, seenTaskKeys, onSkipped));
        }
      }
    }
  }
  return executors;
}
