import type { Dimensions } from '../../lib/model/dimensions.js';
import { canonicalIp } from '../../lib/net/canonical-ip.js';
import type { LabelFilter } from './labels.js';
import type { ContainerMetadata, MetadataSnapshot } from './provider.js';

interface Entry {
  dimensions: Readonly<Dimensions>;
  ips: readonly string[];
  /** Refresh number when the provider last listed the container. */
  seen: number;
}

/**
 * Containers a stopped container's dimensions are kept for after the provider stops listing
 * it: its last scrape and StatsD flush come after it stopped, and must still be tagged.
 */
const KEEP_REFRESHES = 3;

/**
 * Container id -> dimensions, as the last good metadata snapshot says, with the node's
 * dimensions merged in. Each container's dimensions are one frozen object, made once per
 * refresh that changed them, and shared by all its datapoints. Lookups never wait: a
 * container not yet known gets the node's dimensions plus its id, and its full ones as soon
 * as a refresh brings them.
 */
export class ContainerRegistry {
  private entries = new Map<string, Entry>();
  private nodeDimensions: Readonly<Dimensions>;
  /** What the agent knows of its node without a provider (hostname, configured cluster id). */
  private readonly baseNode: Readonly<Dimensions>;
  /** Dimensions made for unknown containers, so those are shared too. */
  private unknown = new Map<string, Readonly<Dimensions>>();
  /** IP -> container id, for IPs that exactly one known container has. */
  private byIp = new Map<string, string>();
  private refreshes = 0;
  /** Bumped on every change, so caches of lookups (StatsD source addresses) know to drop. */
  generation = 0;

  constructor(
    private readonly filter: LabelFilter,
    baseNode: Dimensions = {},
  ) {
    this.baseNode = Object.freeze({ ...baseNode });
    this.nodeDimensions = this.baseNode;
  }

  /** The node's dimensions, for datapoints of no container. */
  get node(): Readonly<Dimensions> {
    return this.nodeDimensions;
  }

  get size(): number {
    return this.entries.size;
  }

  has(containerId: string): boolean {
    return this.entries.has(containerId);
  }

  /** The dimensions of a container: known ones in full, unknown ones with the node's and its id. */
  dimensionsOf(containerId: string | undefined): Readonly<Dimensions> {
    if (containerId === undefined || containerId === '') return this.nodeDimensions;
    const entry = this.entries.get(containerId);
    if (entry !== undefined) return entry.dimensions;
    let dims = this.unknown.get(containerId);
    if (dims === undefined) {
      if (this.unknown.size >= 100_000) this.unknown.clear();
      dims = Object.freeze({ ...this.nodeDimensions, container_id: containerId });
      this.unknown.set(containerId, dims);
    }
    return dims;
  }

  /** Every known container (stopped ones too, for their last few refreshes) and its dimensions. */
  *containers(): IterableIterator<[string, Readonly<Dimensions>]> {
    for (const [id, entry] of this.entries) yield [id, entry.dimensions];
  }

  /** The container that sent from ip, when exactly one known container has that address. */
  containerForAddress(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  /** Takes a snapshot in: the node's and each container's dimensions, labels filtered. */
  update(snapshot: MetadataSnapshot): void {
    this.refreshes++;
    // The provider's node dimensions win; the agent's own fill what it does not report.
    const node = Object.freeze({ ...this.baseNode, ...snapshot.node });
    const nodeChanged = !sameDimensions(node, this.nodeDimensions);
    if (nodeChanged) this.nodeDimensions = node;
    let changed = nodeChanged;
    const entries = new Map<string, Entry>();
    for (const container of snapshot.containers) {
      const dimensions = this.merge(container);
      const previous = this.entries.get(container.containerId);
      const keep = previous !== undefined && sameDimensions(previous.dimensions, dimensions);
      if (!keep || !sameList(previous.ips, container.ips)) changed = true;
      entries.set(container.containerId, {
        // The same object as before when nothing changed: downstream caches stay valid.
        dimensions: keep ? previous.dimensions : dimensions,
        ips: container.ips,
        seen: this.refreshes,
      });
    }
    // Containers no longer listed stay a few refreshes, for their last datapoints.
    for (const [id, entry] of this.entries) {
      if (entries.has(id)) continue;
      if (this.refreshes - entry.seen < KEEP_REFRESHES && !nodeChanged) entries.set(id, entry);
      else changed = true;
    }
    this.entries = entries;
    if (changed) {
      this.unknown.clear();
      this.byIp = indexByIp(
        entries,
        new Set(snapshot.node.hostname === undefined ? [] : [snapshot.node.hostname]),
      );
      this.generation++;
    }
  }

  private merge(container: ContainerMetadata): Readonly<Dimensions> {
    return this.complete({ ...container.dimensions, container_id: container.containerId });
  }

  /** A provider's dimensions (a task's) with the node's merged in and labels filtered, frozen. */
  complete(dimensions: Readonly<Dimensions>): Readonly<Dimensions> {
    const dims: Dimensions = { ...this.nodeDimensions, ...dimensions };
    const labels = this.filter.apply(dimensions.labels);
    if (labels === undefined) delete dims.labels;
    else dims.labels = Object.freeze(labels);
    return Object.freeze(dims);
  }
}

/** IPs of exactly one container; shared ones (host networking, the node's own) attribute nothing. */
function indexByIp(
  entries: ReadonlyMap<string, Entry>,
  nodeAddresses: ReadonlySet<string>,
): Map<string, string> {
  const owners = new Map<string, string | null>();
  for (const [id, entry] of entries) {
    for (const raw of entry.ips) {
      // Keyed as the StatsD source asks: "::ffff:10.0.0.5" and "10.0.0.5" are one sender.
      const ip = canonicalIp(raw);
      if (nodeAddresses.has(ip)) continue;
      owners.set(ip, owners.has(ip) && owners.get(ip) !== id ? null : id);
    }
  }
  const byIp = new Map<string, string>();
  for (const [ip, id] of owners) if (id !== null) byIp.set(ip, id);
  return byIp;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function sameDimensions(a: Readonly<Dimensions>, b: Readonly<Dimensions>): boolean {
  const keys = Object.keys(a) as (keyof Dimensions)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (key === 'labels') {
      const la = a.labels ?? {};
      const lb = b.labels ?? {};
      const lk = Object.keys(la);
      if (lk.length !== Object.keys(lb).length || lk.some((k) => la[k] !== lb[k])) return false;
    } else if (a[key] !== b[key]) {
      return false;
    }
  }
  return true;
}
