/**
 * What a line of GET /events means for the task tracker: start and destroy ask for a refresh, die
 * and oom are task states seen as they happen (exit codes included, which a poll can miss when a
 * container is removed right after it stops). Parsing only; event-stream.ts does the I/O.
 */

import type { Dimensions } from '../../../../lib/model/dimensions.js';
import type { TaskObservation } from '../../provider.js';
import { isDockerEvent } from './api.js';
import { composeDimensions } from './mapping.js';
import { stoppedState } from './state.js';

export const WATCHED_ACTIONS = ['start', 'die', 'oom', 'destroy'] as const;

export const EVENTS_PATH = `/events?filters=${encodeURIComponent(
  JSON.stringify({ type: ['container'], event: WATCHED_ACTIONS }),
)}`;

export type EventOutcome =
  | { kind: 'changed'; containerId: string }
  | { kind: 'observe'; containerId: string; observation: TaskObservation }
  /** Valid, but nothing to do (another type or action than asked for). */
  | { kind: 'ignored' }
  | { kind: 'malformed' };

const IGNORED: EventOutcome = { kind: 'ignored' };
const MALFORMED: EventOutcome = { kind: 'malformed' };

/** exitCode attributes are decimal strings ("137"). */
function parseExitCode(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

function eventTimeMs(time: number | undefined, timeNano: number | undefined): number | undefined {
  // Whole ms: timeNano is past 2^53, so its last digits are noise once parsed anyway.
  if (timeNano !== undefined && timeNano > 0) return Math.floor(timeNano / 1e6);
  if (time !== undefined && time > 0) return time * 1000;
  return undefined;
}

export class EventInterpreter {
  /**
   * Containers with an oom event since they last started. Docker sends oom before die, and the
   * die alone (137) would read as a plain kill; this keeps the two from disagreeing.
   */
  private readonly oomSeen = new Set<string>();

  interpret(line: string): EventOutcome {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      return MALFORMED;
    }
    if (!isDockerEvent(event)) return MALFORMED;
    if (event.Type !== undefined && event.Type !== 'container') return IGNORED;
    const containerId = event.Actor.ID;
    const attributes = event.Actor.Attributes ?? {};
    const dimensions: Dimensions = {
      ...composeDimensions(attributes),
      task_id: containerId,
      ...(attributes.name === undefined ? {} : { task_name: attributes.name }),
      container_id: containerId,
    };
    const base = { key: containerId, dimensions };
    const sinceMs = eventTimeMs(event.time, event.timeNano);
    const since = sinceMs === undefined ? {} : { sinceMs };
    switch (event.Action) {
      case 'start':
      case 'destroy':
        this.oomSeen.delete(containerId);
        return { kind: 'changed', containerId };
      case 'oom':
        this.oomSeen.add(containerId);
        return {
          kind: 'observe',
          containerId,
          observation: { ...base, state: 'oom_killed', ...since, reason: 'OOMKilled' },
        };
      case 'die': {
        const exitCode = parseExitCode(attributes.exitCode);
        if (exitCode === undefined) return MALFORMED;
        const state = stoppedState(exitCode, this.oomSeen.delete(containerId));
        const reason = state === 'oom_killed' ? { reason: 'OOMKilled' } : {};
        return {
          kind: 'observe',
          containerId,
          observation: { ...base, state, ...since, ...reason, exitCode },
        };
      }
      default:
        return IGNORED;
    }
  }
}
