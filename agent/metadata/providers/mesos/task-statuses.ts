import type { TaskStateName } from '../../../../lib/model/dimensions.js';
import { containerIdOf, ipsOf } from './fields.js';
import { finiteNumber, isObject, type JsonObject, text } from './json-shapes.js';
import { exitCodeOf, taskStateOf } from './task-states.js';

/**
 * The latest status that satisfies `wanted`: by timestamp, a later array entry winning ties
 * (the agent appends statuses in order, so this also covers statuses without a timestamp).
 */
export function latestStatus(
  statuses: readonly JsonObject[],
  wanted: (status: JsonObject) => boolean,
): JsonObject | undefined {
  let latest: JsonObject | undefined;
  let latestTime = Number.NEGATIVE_INFINITY;
  for (const status of statuses) {
    if (!wanted(status)) continue;
    const time = finiteNumber(status.timestamp) ?? Number.NEGATIVE_INFINITY;
    if (latest === undefined || time >= latestTime) {
      latest = status;
      latestTime = time;
    }
  }
  return latest;
}

function statusContainerId(status: JsonObject): string | undefined {
  return isObject(status.container_status) ? containerIdOf(status.container_status.container_id) : undefined;
}

/** The task's container (the nested container's own id for a pod task) and its addresses. */
export function taskContainer(statuses: readonly JsonObject[]): { containerId?: string; ips: string[] } {
  const linking = latestStatus(statuses, (status) => statusContainerId(status) !== undefined);
  // Only some updates (TASK_RUNNING) carry network_infos; a later TASK_KILLING may not.
  const addressed = latestStatus(statuses, (status) => ipsOf(status.container_status).length > 0);
  const ips = addressed === undefined ? [] : ipsOf(addressed.container_status);
  const containerId = linking === undefined ? undefined : statusContainerId(linking);
  return containerId === undefined ? { ips } : { containerId, ips };
}

export interface ObservedState {
  state: TaskStateName;
  sinceMs?: number;
  reason?: string;
  exitCode?: number;
}

/**
 * The task's state from its latest status; task.state (no timestamp, reason or exit code)
 * when no status has a known state; `fallback` when the task has neither (a queued task).
 */
export function observedState(
  task: JsonObject,
  statuses: readonly JsonObject[],
  fallback?: TaskStateName,
): ObservedState | undefined {
  const latest = latestStatus(statuses, (status) => {
    const state = text(status.state);
    return state !== undefined && taskStateOf(state) !== undefined;
  });
  const reason = latest === undefined ? undefined : text(latest.reason);
  const message = latest === undefined ? undefined : text(latest.message);
  const latestState =
    latest === undefined ? undefined : taskStateOf(text(latest.state) ?? '', reason, message);
  if (latest !== undefined && latestState !== undefined) {
    const observed: ObservedState = { state: latestState };
    const timestamp = finiteNumber(latest.timestamp);
    if (timestamp !== undefined) observed.sinceMs = Math.round(timestamp * 1000);
    if (reason !== undefined) observed.reason = reason;
    const exitCode = exitCodeOf(message);
    if (exitCode !== undefined) observed.exitCode = exitCode;
    return observed;
  }
  const taskState = text(task.state);
  const state = taskState === undefined ? fallback : taskStateOf(taskState);
  return state === undefined ? undefined : { state };
}
