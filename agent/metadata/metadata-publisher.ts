import type { Dimensions, MetadataUpdate } from '../../lib/model/dimensions.js';
import { loadJsonState, saveJsonState } from '../../lib/state/json-state-file.js';

/**
 * Turns metadata refreshes into updates for the compacted metadata topic: a container's
 * dimensions when they are new or changed, and `removed` once the registry forgets it. The
 * ids published are saved, so a container that went away while the agent was down is still
 * removed after its restart (compaction would otherwise keep it forever).
 */
export class MetadataPublisher {
  /** Container id -> the dimensions object last published (the registry shares unchanged ones). */
  private published = new Map<string, Readonly<Dimensions> | null>();
  /** Why the state file could not be used, for the caller to log. */
  readonly loadProblem: string | undefined;

  constructor(private readonly stateFile: string | null) {
    if (stateFile === null) return;
    const loaded = loadJsonState(stateFile, 'published metadata');
    this.loadProblem = loaded.problem;
    const ids = (loaded.data as { containers?: unknown } | undefined)?.containers;
    // Known from a previous run, dimensions unknown: published again, or removed.
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') this.published.set(id, null);
  }

  /** The updates since the last call, given every container the registry knows now. */
  changes(containers: Iterable<[string, Readonly<Dimensions>]>, nowMs: number): MetadataUpdate[] {
    const updates: MetadataUpdate[] = [];
    const current = new Map<string, Readonly<Dimensions>>();
    for (const [containerId, dimensions] of containers) {
      current.set(containerId, dimensions);
      if (this.published.get(containerId) !== dimensions)
        updates.push({ containerId, dimensions, updatedMs: nowMs, removed: false });
    }
    for (const [containerId, dimensions] of this.published) {
      if (current.has(containerId)) continue;
      updates.push({
        containerId,
        dimensions: dimensions ?? { container_id: containerId },
        updatedMs: nowMs,
        removed: true,
      });
    }
    const idsChanged = updates.some((u) => u.removed || !this.published.has(u.containerId));
    this.published = current;
    if (idsChanged && this.stateFile !== null)
      saveJsonState(this.stateFile, { version: 1, containers: [...current.keys()] });
    return updates;
  }
}
