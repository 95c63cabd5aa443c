/**
 * Logging for hot paths: a flood of bad StatsD lines must not turn into a flood of log lines.
 * Each reason is logged at once the first time, then at most once per interval with the number
 * of occurrences that were skipped in between.
 */
import type { Logger } from 'pino';

/** Log fields, or a function making them so a suppressed call does not pay for building them. */
export type LogFields = object | (() => object);

export interface RateLimitedLogOptions {
  /** Minimum time between two lines for the same reason; default 10s. */
  intervalMs?: number;
  /** Milliseconds from any fixed origin; injectable for tests. */
  now?: () => number;
}

interface ReasonState {
  nextAt: number;
  suppressed: number;
}

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  // Reasons are a small fixed set of constants chosen by callers, so this map stays small.
  readonly #reasons = new Map<string, ReasonState>();

  constructor(
    logger: Logger,
    { intervalMs = 10_000, now = () => performance.now() }: RateLimitedLogOptions = {},
  ) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  warn(reason: string, fields: LogFields, msg: string): void {
    this.#log('warn', reason, fields, msg);
  }

  error(reason: string, fields: LogFields, msg: string): void {
    this.#log('error', reason, fields, msg);
  }

  #log(level: 'warn' | 'error', reason: string, fields: LogFields, msg: string): void {
    const now = this.#now();
    const state = this.#reasons.get(reason);
    if (state !== undefined && now < state.nextAt) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    if (state === undefined) this.#reasons.set(reason, { nextAt: now + this.#intervalMs, suppressed: 0 });
    else {
      state.nextAt = now + this.#intervalMs;
      state.suppressed = 0;
    }
    const extra = typeof fields === 'function' ? fields() : fields;
    this.#logger[level](suppressed > 0 ? { reason, ...extra, suppressed } : { reason, ...extra }, msg);
  }
}
