import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LabelFilter } from '../../agent/metadata/labels.js';
import {
  MetadataError,
  type MetadataProvider,
  type MetadataSnapshot,
  type ProviderEventHandlers,
} from '../../agent/metadata/provider.js';
import { ContainerRegistry } from '../../agent/metadata/registry.js';
import { MetadataService } from '../../agent/metadata/service.js';
import { TaskTracker } from '../../agent/metadata/task-tracker.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { TaskEvent } from '../../lib/model/dimensions.js';

const NODE = { hostname: 'node-1', agent_id: 'S1' };
const log = new RateLimitedLog(pino({ level: 'silent' }));

/** A provider playing a script: each fetch takes the next step (a snapshot, an error, or a hang). */
class ScriptedProvider implements MetadataProvider {
  readonly name = 'mesos' as const;
  fetches = 0;
  handlers: ProviderEventHandlers | undefined;
  private waiters: (() => void)[] = [];
  constructor(private readonly steps: (MetadataSnapshot | MetadataError | 'hang')[]) {}

  async fetch(): Promise<MetadataSnapshot> {
    const step = this.steps[Math.min(this.fetches, this.steps.length - 1)]!;
    this.fetches++;
    for (const wake of this.waiters.splice(0)) wake();
    if (step === 'hang') return new Promise(() => {});
    if (step instanceof MetadataError) throw step;
    return step;
  }

  watch(handlers: ProviderEventHandlers): () => void {
    this.handlers = handlers;
    return () => {
      this.handlers = undefined;
    };
  }

  /** Resolves once fetch has been called n times in all. */
  fetched(n: number): Promise<void> {
    if (this.fetches >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.fetches >= n ? resolve() : this.waiters.push(check));
      this.waiters.push(check);
    });
  }
}

const running: MetadataSnapshot = {
  node: NODE,
  containers: [
    { containerId: 'c1', dimensions: { task_id: 't1', framework_name: 'shop' }, ips: ['10.0.0.5'] },
  ],
  tasks: [
    { key: 'shop/t1', state: 'running', sinceMs: 1000, dimensions: { task_id: 't1', container_id: 'c1' } },
  ],
};
const failed: MetadataSnapshot = {
  ...running,
  tasks: [
    {
      key: 'shop/t1',
      state: 'failed',
      sinceMs: 5000,
      reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      dimensions: { task_id: 't1', container_id: 'c1' },
    },
  ],
};

describe('MetadataService', () => {
  let service: MetadataService | undefined;
  afterEach(async () => {
    await service?.stop();
  });

  function start(provider: ScriptedProvider, options: { intervalMs?: number; timeoutMs?: number } = {}) {
    const registry = new ContainerRegistry(new LabelFilter({ include: [], exclude: [], maxValueLength: 64 }));
    const events: TaskEvent[] = [];
    service = new MetadataService({
      provider,
      registry,
      tracker: new TaskTracker(null),
      intervalMs: options.intervalMs ?? 60_000,
      timeoutMs: options.timeoutMs ?? 1000,
      onEvents: (batch) => events.push(...batch),
      log,
      minBackoffMs: 10,
      soonMs: 5,
    });
    return { service, registry, events };
  }

  it('fills the registry and emits one event per task transition across refreshes', async () => {
    const provider = new ScriptedProvider([running, running, failed, failed]);
    const { service, registry, events } = start(provider);
    for (let i = 0; i < 4; i++) await service.refreshNow();
    expect(registry.dimensionsOf('c1')).toEqual({
      ...NODE,
      task_id: 't1',
      framework_name: 'shop',
      container_id: 'c1',
    });
    expect(events.map((e) => [e.previousState, e.state, e.timeMs, e.reason])).toEqual([
      ['', 'running', 1000, undefined],
      ['running', 'failed', 5000, 'REASON_COMMAND_EXECUTOR_FAILED'],
    ]);
    expect(events[1]?.dimensions).toEqual({ ...NODE, task_id: 't1', container_id: 'c1' });
    expect(service.stats.refreshes).toBe(4);
    expect(Object.fromEntries(service.stats.events)).toEqual({ running: 1, failed: 1 });
  });

  it('keeps the last good metadata through failures, counts them by reason, and retries with backoff', async () => {
    const provider = new ScriptedProvider([
      running,
      new MetadataError('connect', 'refused'),
      new MetadataError('http_status', '500'),
      running,
    ]);
    const { service, registry } = start(provider);
    await service.refreshNow();
    await service.refreshNow(); // fails: the next try is scheduled after the 10 ms backoff, not the 60 s interval
    await provider.fetched(4);
    expect(registry.dimensionsOf('c1').task_id).toBe('t1');
    expect(Object.fromEntries(service.stats.errors)).toEqual({ connect: 1, http_status: 1 });
    await expect.poll(() => service.stats.refreshes).toBe(2);
    expect(service.stats.consecutiveFailures).toBe(0);
  });

  it('gives up on a refresh that hangs, as a timeout, without blocking lookups', async () => {
    const provider = new ScriptedProvider(['hang']);
    const { service, registry } = start(provider, { timeoutMs: 50 });
    await service.refreshNow();
    expect(Object.fromEntries(service.stats.errors)).toEqual({ timeout: 1 });
    expect(registry.dimensionsOf('c9')).toEqual({ container_id: 'c9' });
  });

  it('takes task states from the provider stream, and refreshes soon when it says something changed', async () => {
    const provider = new ScriptedProvider([running]);
    const { service, events } = start(provider);
    service.start();
    await provider.fetched(1);
    await expect.poll(() => events.length).toBe(1);
    provider.handlers?.observe({
      key: 'shop/t1',
      state: 'oom_killed',
      exitCode: 137,
      dimensions: { task_id: 't1' },
    });
    expect(events.at(-1)).toMatchObject({ state: 'oom_killed', previousState: 'running', exitCode: 137 });
    provider.handlers?.changed();
    await provider.fetched(2);
    provider.handlers?.error(new MetadataError('connect', 'stream closed'));
    expect(service.stats.errors.get('connect')).toBe(1);
  });
});
