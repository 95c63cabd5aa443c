import type { TaskStateName } from '../../../../lib/model/dimensions.js';

/** Mesos TaskState (mesos.proto) to the normalized lifecycle states. */
const MESOS_TASK_STATES: Readonly<Record<string, TaskStateName>> = {
  TASK_STAGING: 'staging',
  TASK_STARTING: 'starting',
  TASK_RUNNING: 'running',
  // Still running while the kill grace period lasts; the terminal state follows.
  TASK_KILLING: 'running',
  TASK_FINISHED: 'finished',
  TASK_FAILED: 'failed',
  TASK_ERROR: 'failed',
  TASK_KILLED: 'killed',
  TASK_LOST: 'lost',
  TASK_DROPPED: 'lost',
  TASK_GONE: 'lost',
  TASK_GONE_BY_OPERATOR: 'lost',
  TASK_UNREACHABLE: 'lost',
  TASK_UNKNOWN: 'lost',
};

const OOM_REASON = 'REASON_CONTAINER_LIMITATION_MEMORY';
/** What the Mesos memory isolators write when they kill a container over its limit. */
const OOM_MESSAGE = /memory limit exceeded/i;
/** The command and Docker executors report "Command exited with status 137". */
const EXIT_STATUS = /exited with status (\d+)/i;

/**
 * The normalized state of a Mesos task status, or undefined for a state this code does not
 * know. A failure or kill caused by the memory limit is oom_killed, so OOMs can be alerted on
 * apart from application failures.
 */
export function taskStateOf(state: string, reason?: string, message?: string): TaskStateName | undefined {
  const normalized = Object.hasOwn(MESOS_TASK_STATES, state) ? MESOS_TASK_STATES[state] : undefined;
  if (
    (normalized === 'failed' || normalized === 'killed') &&
    (reason === OOM_REASON || (message !== undefined && OOM_MESSAGE.test(message)))
  ) {
    return 'oom_killed';
  }
  return normalized;
}

/** The exit code in a status message, when the executor wrote one. */
export function exitCodeOf(message: string | undefined): number | undefined {
  const match = message === undefined ? null : EXIT_STATUS.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
