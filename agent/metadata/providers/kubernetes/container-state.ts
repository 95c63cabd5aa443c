import type { TaskStateName } from '../../../../lib/model/dimensions.js';
import { integerField, type JsonObject, objectField, stringField, timeField } from './json-fields.js';

/** One container run's state as a TaskObservation carries it (without key and dimensions). */
export interface RunState {
  state: TaskStateName;
  sinceMs?: number;
  reason?: string;
  exitCode?: number;
}

/** Waiting reasons of a container that is being set up, as opposed to one that cannot start. */
const SETUP_WAITING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

/** Exit codes of SIGKILL and SIGTERM (128 + signal): stopped from outside, not failed by itself. */
const KILLED_EXIT_CODES = new Set([137, 143]);

/**
 * Maps a v1 ContainerState ({waiting} | {running} | {terminated}) to a task state. When a
 * kubelet sets more than one, the furthest along wins; an empty state is a run not set up yet.
 */
export function runStateOf(containerState: JsonObject | undefined): RunState {
  const terminated = objectField(containerState, 'terminated');
  if (terminated !== undefined) return terminatedRunState(terminated);
  const running = objectField(containerState, 'running');
  if (running !== undefined) return withOptional({ state: 'running' }, timeField(running, 'startedAt'));
  const waiting = objectField(containerState, 'waiting');
  const reason = stringField(waiting, 'reason');
  // ErrImagePull, CrashLoopBackOff, CreateContainerConfigError...: past setup, stuck at starting.
  const state: TaskStateName =
    reason === undefined || SETUP_WAITING_REASONS.has(reason) ? 'staging' : 'starting';
  return withOptional({ state }, undefined, reason);
}

/** Maps a v1 ContainerStateTerminated; sinceMs is when the run ended. */
export function terminatedRunState(terminated: JsonObject): RunState {
  const reason = stringField(terminated, 'reason');
  const exitCode = integerField(terminated, 'exitCode');
  let state: TaskStateName;
  if (reason === 'OOMKilled') state = 'oom_killed';
  else if (exitCode === 0) state = 'finished';
  else if (exitCode !== undefined && KILLED_EXIT_CODES.has(exitCode)) state = 'killed';
  else state = 'failed';
  return withOptional({ state }, timeField(terminated, 'finishedAt'), reason, exitCode);
}

/** Leaves absent fields out rather than set to undefined, so snapshots compare and log cleanly. */
export function withOptional(run: RunState, sinceMs?: number, reason?: string, exitCode?: number): RunState {
  if (sinceMs !== undefined) run.sinceMs = sinceMs;
  if (reason !== undefined) run.reason = reason;
  if (exitCode !== undefined) run.exitCode = exitCode;
  return run;
}
