import type { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { TaskEvent } from '../../lib/model/dimensions.js';
import {
  MetadataError,
  type MetadataProvider,
  type MetadataSnapshot,
  type TaskObservation,
} from './provider.js';
import type { ContainerRegistry } from './registry.js';
import type { TaskTracker } from './task-tracker.js';

export interface MetadataServiceOptions {
  provider: MetadataProvider;
  registry: ContainerRegistry;
  tracker: TaskTracker;
  /** Between successful refreshes. */
  intervalMs: number;
  /** One refresh, all its requests, at most. */
  timeoutMs: number;
  /** Task state transitions, as they are found. */
  onEvents: (events: TaskEvent[]) => void;
  /** After each successful refresh, with its snapshot (never after a failed one). */
  onRefresh?: (snapshot: MetadataSnapshot) => void;
  log: RateLimitedLog;
  /** First retry after a failure; doubles up to the interval (or maxBackoffMs when larger). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Quiet time before a refresh asked for by an event (containers started come in bursts). */
  soonMs?: number;
}

/** Plain counters, read by the prom-client collectors at scrape time. */
export interface MetadataStats {
  refreshes: number;
  /** Failed refreshes and stream errors, by MetadataError reason. */
  errors: Map<string, number>;
  /** Items providers left out of snapshots, by reason. */
  skipped: Map<string, number>;
  /** Task events emitted, by state. */
  events: Map<string, number>;
  lastSuccessMs: number;
  consecutiveFailures: number;
}

/**
 * Keeps the container registry current from a provider: refreshes on an interval, soon after
 * an event (a container started, the provider's stream said something changed), and with a
 * doubling backoff after failures. A failing or slow API never blocks anything: lookups keep
 * answering from the last good snapshot, and every failure is counted by reason.
 */
export class MetadataService {
  readonly stats: MetadataStats = {
    refreshes: 0,
    errors: new Map(),
    skipped: new Map(),
    events: new Map(),
    lastSuccessMs: 0,
    consecutiveFailures: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private stopStream: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: MetadataServiceOptions) {}

  get provider(): string {
    return this.options.provider.name;
  }

  /** Starts refreshing (the first refresh right away, not awaited) and the provider's stream. */
  start(): void {
    this.stopStream = this.options.provider.watch?.({
      observe: (task) => this.emit([task]),
      changed: () => this.refreshSoon(),
      error: (error) => this.countError(error, 'stream'),
    });
    this.schedule(0);
  }

  /** Asks for a refresh shortly (debounced): a container appeared that the registry lacks. */
  refreshSoon(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.schedule(this.options.soonMs ?? 250);
  }

  /** One refresh now; resolves when it is done (tests, and the first refresh at start). */
  refreshNow(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = this.refresh().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.schedule(this.options.soonMs ?? 250);
      } else {
        this.schedule(this.nextDelay());
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopStream?.();
    this.abort.abort();
    await this.running;
    this.options.tracker.save();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refreshNow(), delayMs);
    this.timer.unref();
  }

  private nextDelay(): number {
    const failures = this.stats.consecutiveFailures;
    if (failures === 0) return this.options.intervalMs;
    const min = this.options.minBackoffMs ?? 1000;
    const max = Math.max(this.options.intervalMs, this.options.maxBackoffMs ?? 0);
    return Math.min(max, min * 2 ** (failures - 1));
  }

  private async refresh(): Promise<void> {
    const { provider, registry, timeoutMs } = this.options;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]);
    let snapshot: MetadataSnapshot;
    try {
      snapshot = await withTimeout(provider.fetch(signal), timeoutMs, provider.name);
    } catch (error) {
      if (this.stopped) return;
      this.stats.consecutiveFailures++;
      this.countError(error, 'refresh');
      return;
    }
    this.stats.refreshes++;
    this.stats.consecutiveFailures = 0;
    this.stats.lastSuccessMs = Date.now();
    registry.update(snapshot);
    this.options.onRefresh?.(snapshot);
    this.options.tracker.beginRefresh();
    this.emit(snapshot.tasks);
    this.options.tracker.endRefresh();
  }

  private emit(tasks: readonly TaskObservation[]): void {
    const { tracker, registry } = this.options;
    const now = Date.now();
    const events: TaskEvent[] = [];
    for (const task of tasks) {
      const event = tracker.observe(task, registry.complete(task.dimensions), now);
      if (event === undefined) continue;
      events.push(event);
      this.stats.events.set(event.state, (this.stats.events.get(event.state) ?? 0) + 1);
    }
    if (events.length > 0) this.options.onEvents(events);
  }

  /** Counts a skipped item (providers call this through their onSkipped option). */
  countSkipped(reason: string): void {
    this.stats.skipped.set(reason, (this.stats.skipped.get(reason) ?? 0) + 1);
  }

  private countError(error: unknown, during: 'refresh' | 'stream'): void {
    const reason = error instanceof MetadataError ? error.reason : 'internal';
    this.stats.errors.set(reason, (this.stats.errors.get(reason) ?? 0) + 1);
    const provider = this.options.provider.name;
    const message =
      during === 'refresh'
        ? 'metadata refresh failed; keeping the last good metadata'
        : 'metadata event stream failed; reconnecting';
    this.options.log.warn(`metadata_${during}_${reason}`, { provider, reason, err: error }, message);
  }
}

/** Rejects with a timeout MetadataError if work takes longer (a provider that ignores its signal). */
function withTimeout<T>(work: Promise<T>, timeoutMs: number, provider: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MetadataError('timeout', `${provider} metadata refresh took over ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
