/**
 * Docker's container states onto the common task states (lib/model/dimensions.ts), for both an
 * inspect's State and a die event's exit code, so the two sources agree.
 */

import type { TaskStateName } from '../../../../lib/model/dimensions.js';
import type { DockerContainerState } from './api.js';

/** 128 + SIGKILL and 128 + SIGTERM: what `docker stop` and `docker kill` leave behind. */
const KILLED_EXIT_CODES: ReadonlySet<number> = new Set([137, 143]);

/**
 * Transient states that are no task state: a container being removed is about to vanish, and its
 * last real state was already seen. Left out without being counted as skipped.
 */
export const TRANSIENT_STATUSES: ReadonlySet<string> = new Set(['removing']);

/** The state of a container that has stopped with exitCode. */
export function stoppedState(exitCode: number, oomKilled: boolean): TaskStateName {
  if (oomKilled) return 'oom_killed';
  if (exitCode === 0) return 'finished';
  if (KILLED_EXIT_CODES.has(exitCode)) return 'killed';
  return 'failed';
}

/** Whether a Docker status means the container has stopped (so it has an exit code). */
export function isStoppedStatus(status: string): boolean {
  return status === 'exited' || status === 'dead';
}

/** The task state of an inspected container; undefined for a status it does not know. */
export function taskStateOf(state: DockerContainerState): TaskStateName | undefined {
  switch (state.Status) {
    case 'created':
      return 'staging';
    case 'restarting':
      return 'starting';
    case 'running':
    case 'paused':
      return 'running';
    case 'exited':
    case 'dead':
      return stoppedState(state.ExitCode ?? 0, state.OOMKilled === true);
    default:
      return undefined;
  }
}

/**
 * A Docker timestamp (RFC 3339, nanoseconds) in ms since the epoch; undefined for Docker's zero
 * time ("0001-01-01T00:00:00Z", never happened), an empty string or anything unparsable.
 */
export function dockerTimeMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Date.parse(text);
  // Docker's zero time parses to year 1; nothing a container did predates the epoch.
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
