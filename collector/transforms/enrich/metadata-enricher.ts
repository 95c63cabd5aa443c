import { DIMENSION_KEYS, type Dimensions } from '../../../lib/model/dimensions.js';
import type { CollectorRecord } from '../../model.js';

/** Containers remembered at most; the ones learned longest ago go first. */
const MAX_CONTAINERS = 1_000_000;

/**
 * Container id -> the fullest dimensions known for it, from the metadata topic, the
 * container_metadata table (at start and on reloads) and the metric batches themselves. A
 * batch an agent sent before its metadata refresh knew the container carries only the node's
 * dimensions and the container id; the enricher fills in what such a batch lacks (framework,
 * task, labels) so its rows group with the container's other rows. What a batch does carry
 * always wins: it was true when the datapoints were taken.
 */
export class MetadataEnricher {
  private readonly known = new Map<string, Readonly<Dimensions>>();
  /** Batches and events given dimensions they lacked. */
  enriched = 0;

  get size(): number {
    return this.known.size;
  }

  /** Dimensions of a container, as known now. */
  dimensionsOf(containerId: string): Readonly<Dimensions> | undefined {
    return this.known.get(containerId);
  }

  /** Takes in known containers (the container_metadata table). */
  load(entries: Iterable<readonly [string, Readonly<Dimensions>]>): void {
    for (const [containerId, dimensions] of entries) this.remember(containerId, dimensions);
  }

  /** Learns from a record, then returns it with the dimensions it lacked filled in. */
  apply(record: CollectorRecord): CollectorRecord {
    switch (record.type) {
      case 'metadata':
        // A removed container keeps its dimensions for its last datapoints; the tombstone forgets it.
        this.remember(record.update.containerId, record.update.dimensions);
        return record;
      case 'metadata_tombstone':
        this.known.delete(record.containerId);
        return record;
      case 'task_event': {
        const dimensions = this.complete(record.event.dimensions);
        if (dimensions === record.event.dimensions) return record;
        return { type: 'task_event', event: { ...record.event, dimensions } };
      }
      case 'metrics': {
        if (record.dimensions === undefined) return record;
        const dimensions = this.complete(record.dimensions);
        if (dimensions === record.dimensions) return record;
        for (const point of record.datapoints) point.dimensions = dimensions;
        return { ...record, dimensions };
      }
    }
  }

  /** The dimensions with what is known of their container added, or the same object. */
  private complete(dimensions: Readonly<Dimensions>): Readonly<Dimensions> {
    const id = dimensions.container_id;
    if (id === undefined) return dimensions;
    const known = this.known.get(id);
    if (known === undefined || !lacksAny(dimensions, known)) {
      // A batch with task dimensions teaches them for the container's other batches.
      if (dimensions.task_id !== undefined && (known === undefined || fuller(dimensions, known)))
        this.remember(id, dimensions);
      return dimensions;
    }
    this.enriched++;
    const merged: Dimensions = { ...known, ...dimensions };
    if (dimensions.labels === undefined && known.labels !== undefined) merged.labels = known.labels;
    return Object.freeze(merged);
  }

  private remember(containerId: string, dimensions: Readonly<Dimensions>): void {
    this.known.delete(containerId);
    this.known.set(containerId, dimensions);
    if (this.known.size > MAX_CONTAINERS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }
}

/** Whether `known` has a dimension `dimensions` lacks. */
function lacksAny(dimensions: Readonly<Dimensions>, known: Readonly<Dimensions>): boolean {
  for (const key of DIMENSION_KEYS)
    if (dimensions[key] === undefined && known[key] !== undefined) return true;
  return dimensions.labels === undefined && known.labels !== undefined;
}

function fuller(a: Readonly<Dimensions>, b: Readonly<Dimensions>): boolean {
  return lacksAny(b, a);
}
