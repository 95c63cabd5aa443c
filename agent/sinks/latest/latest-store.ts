import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Dimensions } from '../../../lib/model/dimensions.js';

/** The agent's sources, as the store files their flushes. */
export type LatestSource = 'statsd' | 'cgroup' | 'node';

/** One source's latest interval for one container (or the node). */
export interface LatestInterval {
  /** The datapoints as emitted: shared with the sink, never copied or modified. */
  readonly points: readonly Datapoint[];
  /** When the store took them (ms since the epoch, the agent's clock). */
  readonly storedMs: number;
}

/** What the store reads of the metadata registry (agent/metadata/registry.ts). */
export interface ContainerDirectory {
  readonly node: Readonly<Dimensions>;
  has(containerId: string): boolean;
  containers(): Iterable<[string, Readonly<Dimensions>]>;
  dimensionsOf(containerId: string | undefined): Readonly<Dimensions>;
}

export interface LatestStoreOptions {
  /** The metadata registry; a function because it starts after the store. */
  directory?: () => ContainerDirectory | undefined;
  /**
   * App metrics of a container (or the node) that no StatsD flush refreshed for this long are
   * dropped: statsd.idleTtl, after which the aggregator has forgotten those series as well.
   */
  appTtlMs?: number;
  /** Containers that went away, remembered so that a late StatsD flush does not bring them back. */
  maxGone?: number;
}

const DEFAULT_APP_TTL_MS = 5 * 60_000;
const DEFAULT_MAX_GONE = 10_000;

/**
 * The latest interval of each source, for the node metrics API (agent/http/node-api.ts): the
 * last node scrape, the last cgroup scrape of each container, and the last StatsD flush that
 * had datapoints of each container (app metrics) or of no container (the node's app metrics).
 *
 * The cgroup source scrapes every container of its container set at every interval, so each
 * of its batches is the whole picture: a container missing from one has gone away, and its
 * entries, app metrics included, are dropped then (and its id kept in a bounded list so a
 * StatsD flush still holding its series does not add it back). StatsD flushes only carry the
 * series that saw samples (and gauges), so an entry stays until a later flush replaces it or
 * appTtlMs passes.
 *
 * Memory: at most one node scrape, one cgroup scrape, and per container the datapoints of one
 * StatsD flush, no older than appTtlMs; no more than the aggregator holds live anyway
 * (statsd.maxSeries), plus maxGone container ids. The datapoints are the emitted objects,
 * shared with the sink, not copies.
 */
export class LatestStore {
  private node: LatestInterval | undefined;
  private nodeApp: LatestInterval | undefined;
  private resources = new Map<string, LatestInterval>();
  private readonly apps = new Map<string, LatestInterval>();
  /** Insertion-ordered, so the oldest is dropped first past maxGone. */
  private readonly gone = new Set<string>();
  private readonly appTtlMs: number;
  private readonly maxGone: number;

  constructor(private readonly options: LatestStoreOptions = {}) {
    this.appTtlMs = options.appTtlMs ?? DEFAULT_APP_TTL_MS;
    this.maxGone = options.maxGone ?? DEFAULT_MAX_GONE;
  }

  /** Files a source's batch (empty ones too: an empty cgroup scrape means no containers). */
  put(source: LatestSource, batch: readonly Datapoint[], nowMs: number = Date.now()): void {
    switch (source) {
      case 'node':
        this.node = batch.length === 0 ? undefined : { points: batch, storedMs: nowMs };
        return;
      case 'cgroup':
        this.putResources(batch, nowMs);
        return;
      case 'statsd':
        this.putApps(batch, nowMs);
        return;
    }
  }

  /**
   * `emit` that also files what it emits here, for a source the store keeps (statsd, cgroup,
   * node); other sources' emit is returned as it is.
   */
  tee(source: string, emit: (batch: Datapoint[]) => void): (batch: Datapoint[]) => void {
    if (source !== 'statsd' && source !== 'cgroup' && source !== 'node') return emit;
    return (batch) => {
      emit(batch);
      this.put(source, batch);
    };
  }

  /** The last node scrape. */
  nodeMetrics(): LatestInterval | undefined {
    return this.node;
  }

  /** The last StatsD flush's datapoints of no container. */
  nodeAppMetrics(nowMs: number = Date.now()): LatestInterval | undefined {
    if (this.nodeApp !== undefined && nowMs - this.nodeApp.storedMs > this.appTtlMs) this.nodeApp = undefined;
    return this.nodeApp;
  }

  /** The container's resource metrics from the last cgroup scrape. */
  containerMetrics(containerId: string): LatestInterval | undefined {
    return this.resources.get(containerId);
  }

  /** The container's datapoints from the last StatsD flush that had any. */
  appMetrics(containerId: string, nowMs: number = Date.now()): LatestInterval | undefined {
    const entry = this.apps.get(containerId);
    if (entry === undefined || nowMs - entry.storedMs <= this.appTtlMs) return entry;
    this.apps.delete(containerId);
    return undefined;
  }

  /**
   * Whether the agent knows the container: it has metrics here, or the metadata provider lists
   * it (and the cgroup source has not seen it go away).
   */
  knows(containerId: string, nowMs: number = Date.now()): boolean {
    if (this.resources.has(containerId) || this.appMetrics(containerId, nowMs) !== undefined) return true;
    if (this.gone.has(containerId)) return false;
    return this.options.directory?.()?.has(containerId) ?? false;
  }

  /** Every container the agent knows (see knows), sorted. */
  containerIds(nowMs: number = Date.now()): string[] {
    const ids = new Set(this.resources.keys());
    for (const id of [...this.apps.keys()]) if (this.appMetrics(id, nowMs) !== undefined) ids.add(id);
    const directory = this.options.directory?.();
    if (directory !== undefined) {
      for (const [id] of directory.containers()) if (!this.gone.has(id)) ids.add(id);
    }
    return [...ids].sort();
  }

  /** Who a container (or, without an id, the node) is, from the metadata registry. */
  dimensionsOf(containerId?: string): Readonly<Dimensions> {
    const directory = this.options.directory?.();
    if (directory !== undefined) return directory.dimensionsOf(containerId);
    return containerId === undefined ? {} : { container_id: containerId };
  }

  /** Sizes, for tests and self-metrics. */
  get stats(): { containers: number; apps: number; gone: number } {
    return { containers: this.resources.size, apps: this.apps.size, gone: this.gone.size };
  }

  private putResources(batch: readonly Datapoint[], nowMs: number): void {
    const next = groupByContainer(batch, nowMs).byContainer;
    for (const id of this.resources.keys()) {
      if (next.has(id)) continue;
      this.apps.delete(id);
      this.gone.add(id);
    }
    // A container back after a scrape that could read none of its files is not gone.
    for (const id of next.keys()) this.gone.delete(id);
    while (this.gone.size > this.maxGone) this.gone.delete(this.gone.values().next().value!);
    this.resources = next;
  }

  private putApps(batch: readonly Datapoint[], nowMs: number): void {
    const { byContainer, none } = groupByContainer(batch, nowMs);
    if (none !== undefined) this.nodeApp = none;
    for (const [id, entry] of byContainer) if (!this.gone.has(id)) this.apps.set(id, entry);
    for (const [id, entry] of this.apps) if (nowMs - entry.storedMs > this.appTtlMs) this.apps.delete(id);
    if (this.nodeApp !== undefined && nowMs - this.nodeApp.storedMs > this.appTtlMs) this.nodeApp = undefined;
  }
}

/** A batch's datapoints by container, and those of no container. */
function groupByContainer(
  batch: readonly Datapoint[],
  storedMs: number,
): { byContainer: Map<string, LatestInterval>; none: LatestInterval | undefined } {
  const points = new Map<string, Datapoint[]>();
  const none: Datapoint[] = [];
  for (const point of batch) {
    const id = point.containerId;
    if (id === undefined || id === '') {
      none.push(point);
      continue;
    }
    let list = points.get(id);
    if (list === undefined) {
      list = [];
      points.set(id, list);
    }
    list.push(point);
  }
  const byContainer = new Map<string, LatestInterval>();
  for (const [id, list] of points) byContainer.set(id, { points: list, storedMs });
  return { byContainer, none: none.length === 0 ? undefined : { points: none, storedMs } };
}
