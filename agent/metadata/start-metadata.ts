import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CorralConfig } from '../../lib/config/schema.js';
import type { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { MetadataUpdate, TaskEvent } from '../../lib/model/dimensions.js';
import type { DiscoveredContainer } from '../sources/cgroup/discovery.js';
import { createProvider, detectProvider } from './create-provider.js';
import { LabelFilter } from './labels.js';
import { MetadataPublisher } from './metadata-publisher.js';
import { registerMetadataMetrics } from './metrics.js';
import { ContainerRegistry } from './registry.js';
import { MetadataService } from './service.js';
import { TaskTracker } from './task-tracker.js';

export interface RunningMetadata {
  registry: ContainerRegistry;
  service: MetadataService;
  /** Calls back after every successful refresh with the containers it listed. */
  onRefresh(listener: (containerIds: readonly string[]) => void): void;
  /** A walk of the cgroup tree found containers started or stopped. */
  containersChanged(added: readonly DiscoveredContainer[]): void;
}

export interface MetadataContext {
  logger: Logger;
  log: RateLimitedLog;
  metrics: Registry;
  /** The cgroup source's containers, for the none provider. */
  containers: () => readonly DiscoveredContainer[];
  onEvents: (events: TaskEvent[]) => void;
  /** Containers whose dimensions are new or changed, or that went away, after each refresh. */
  onMetadata?: (updates: MetadataUpdate[]) => void;
  env?: NodeJS.ProcessEnv;
}

/** Picks and starts the metadata provider; the registry answers at once, refreshes follow. */
export async function startMetadata(
  config: CorralConfig,
  context: MetadataContext,
): Promise<RunningMetadata> {
  const m = config.metadata;
  const filter = new LabelFilter({
    include: m.labelsInclude,
    exclude: m.labelsExclude,
    maxValueLength: m.labelMaxLength,
  });
  const baseNode =
    m.clusterId === '' ? { hostname: hostname() } : { hostname: hostname(), cluster_id: m.clusterId };
  const registry = new ContainerRegistry(filter, baseNode);
  const name = m.provider === 'auto' ? await detectProvider(config, context.env) : m.provider;
  context.logger.info({ provider: name, configured: m.provider }, 'metadata provider');
  let service: MetadataService | undefined;
  const refreshListeners: ((containerIds: readonly string[]) => void)[] = [];
  let lastIds: readonly string[] | undefined;
  const provider = createProvider(name, config, {
    containers: context.containers,
    onSkipped: (reason) => service?.countSkipped(reason),
  });
  const tracker = new TaskTracker(join(config.agent.stateDir, 'task-states.json'));
  if (tracker.loadProblem !== undefined)
    context.logger.warn({ problem: tracker.loadProblem }, 'task states reset');
  const publisher = new MetadataPublisher(join(config.agent.stateDir, 'metadata-published.json'));
  if (publisher.loadProblem !== undefined)
    context.logger.warn({ problem: publisher.loadProblem }, 'published metadata reset');
  service = new MetadataService({
    provider,
    registry,
    tracker,
    intervalMs: m.interval,
    timeoutMs: m.timeout,
    onEvents: context.onEvents,
    onRefresh: (snapshot) => {
      const ids = snapshot.containers.map((c) => c.containerId);
      lastIds = ids;
      const updates = publisher.changes(registry.containers(), Date.now());
      if (updates.length > 0) context.onMetadata?.(updates);
      for (const listener of refreshListeners) listener(ids);
    },
    log: context.log,
  });
  registerMetadataMetrics(context.metrics, service, registry);
  service.start();
  const running = service;
  return {
    registry,
    service: running,
    onRefresh(listener) {
      refreshListeners.push(listener);
      // A listener that comes after the first refresh starts from it, not from the next one.
      if (lastIds !== undefined) listener(lastIds);
    },
    containersChanged(added) {
      // The none provider reads the containers themselves; others learn of a new one by asking.
      if (name === 'none' || added.some((c) => !registry.has(c.id))) running.refreshSoon();
    },
  };
}
