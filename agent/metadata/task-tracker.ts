import { TASK_STATES, type TaskEvent, type TaskStateName } from '../../lib/model/dimensions.js';
import { loadJsonState, saveJsonState } from '../../lib/state/json-state-file.js';
import type { TaskObservation } from './provider.js';

interface Known {
  state: TaskStateName;
  /** When the task entered the state, when the provider said. */
  sinceMs: number | undefined;
  /** Refresh number when the task was last observed, to forget tasks the provider dropped. */
  seen: number;
}

/** Tasks remembered at most; the oldest seen go first (a node runs far fewer at once). */
const MAX_TASKS = 100_000;
/** Refreshes a task the provider no longer lists is remembered, so a late poll does not re-emit it. */
const FORGET_AFTER_REFRESHES = 120;

const TERMINAL: ReadonlySet<TaskStateName> = new Set(['finished', 'failed', 'killed', 'lost', 'oom_killed']);

/**
 * Turns observed task states into one event per state transition. Providers report every
 * task on every poll (and Docker's event stream reports some twice); only a state different
 * from the last one emitted for that task is an event. The last states are saved to a file
 * after each change, so an agent restart does not emit them all again.
 */
export class TaskTracker {
  private readonly known = new Map<string, Known>();
  private refresh = 0;
  private dirty = false;
  /** Why the state file could not be used, for the caller to log. */
  loadProblem: string | undefined;

  constructor(private readonly stateFile: string | null) {
    if (stateFile !== null) this.load(stateFile);
  }

  get size(): number {
    return this.known.size;
  }

  /** Starts a poll's worth of observations (forgetting is counted in polls). */
  beginRefresh(): void {
    this.refresh++;
  }

  /**
   * The event for an observed state, or undefined when it is the state already emitted, or
   * a step back (a stale poll reporting running after the stream reported the task died).
   * Leaving a terminal state counts only when the new state began after it ended: a Docker
   * container restarted under the same id by its restart policy.
   */
  observe(
    task: TaskObservation,
    dimensions: Readonly<TaskEvent['dimensions']>,
    nowMs: number,
  ): TaskEvent | undefined {
    const known = this.known.get(task.key);
    if (known !== undefined) {
      known.seen = this.refresh;
      if (known.state === task.state) return undefined;
      if (TERMINAL.has(known.state) && !TERMINAL.has(task.state) && !startedAfter(task, known))
        return undefined;
    }
    this.known.set(task.key, { state: task.state, sinceMs: task.sinceMs, seen: this.refresh });
    this.dirty = true;
    const event: TaskEvent = {
      timeMs: task.sinceMs ?? nowMs,
      state: task.state,
      previousState: known?.state ?? '',
      dimensions,
    };
    if (task.reason !== undefined) event.reason = task.reason;
    if (task.exitCode !== undefined) event.exitCode = task.exitCode;
    return event;
  }

  /** Forgets tasks not seen for a while, and saves the states if they changed. */
  endRefresh(): void {
    for (const [key, known] of this.known) {
      if (this.refresh - known.seen > FORGET_AFTER_REFRESHES) {
        this.known.delete(key);
        this.dirty = true;
      }
    }
    if (this.known.size > MAX_TASKS) {
      const oldest = [...this.known].sort((a, b) => a[1].seen - b[1].seen);
      for (const [key] of oldest.slice(0, this.known.size - MAX_TASKS)) this.known.delete(key);
    }
    this.save();
  }

  /** Writes the states if they changed since the last save (temp file + rename: never half a file). */
  save(): void {
    if (!this.dirty || this.stateFile === null) return;
    const tasks: Record<string, { state: TaskStateName; sinceMs?: number }> = {};
    for (const [key, known] of this.known) {
      tasks[key] =
        known.sinceMs === undefined ? { state: known.state } : { state: known.state, sinceMs: known.sinceMs };
    }
    saveJsonState(this.stateFile, { version: 1, tasks });
    this.dirty = false;
  }

  private load(file: string): void {
    // A corrupt file is set aside: the tasks running now are then reported once more.
    const loaded = loadJsonState(file, 'task state');
    this.loadProblem = loaded.problem;
    const parsed = loaded.data;
    const tasks = (parsed as { tasks?: unknown } | undefined)?.tasks;
    if (typeof tasks !== 'object' || tasks === null) return;
    for (const [key, entry] of Object.entries(tasks)) {
      const { state, sinceMs } = (entry ?? {}) as { state?: unknown; sinceMs?: unknown };
      if ((TASK_STATES as readonly string[]).includes(state as string)) {
        this.known.set(key, {
          state: state as TaskStateName,
          sinceMs: typeof sinceMs === 'number' ? sinceMs : undefined,
          seen: 0,
        });
      }
    }
  }
}

function startedAfter(task: TaskObservation, known: Known): boolean {
  return task.sinceMs !== undefined && known.sinceMs !== undefined && task.sinceMs > known.sinceMs;
}
