/**
 * Keeps each container's inspect document between fetches, so a poll costs one list request plus
 * an inspect only for containers that are new or whose listed State changed (a node can run
 * hundreds of containers; re-inspecting all of them every poll would load the daemon).
 */

import { MetadataError } from '../../provider.js';
import type { DockerContainerInspect, DockerContainerSummary } from './api.js';

/** Inspects a container; undefined when it is gone. */
export type InspectContainer = (
  id: string,
  signal: AbortSignal,
) => Promise<DockerContainerInspect | undefined>;

interface CachedInspect {
  /** The list's State when the document was fetched: a different one means it is stale. */
  listState: string;
  inspect: DockerContainerInspect;
}

export const DEFAULT_MAX_INSPECTS_IN_FLIGHT = 8;

/**
 * Runs work over items with at most `limit` calls pending. The first failure aborts the signal
 * handed to the others, starts no more, and is what the returned promise rejects with.
 */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  work: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const failFast = new AbortController();
  const combined = AbortSignal.any([signal, failFast.signal]);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !combined.aborted) {
      const item = items[next++] as T;
      try {
        await work(item, combined);
      } catch (error) {
        failFast.abort(error);
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  // The outer signal aborted between two requests: none failed, yet some items were never done.
  if (next < items.length)
    throw new MetadataError('timeout', `aborted with ${items.length - next} left to do`);
}

export class InspectCache {
  private readonly entries = new Map<string, CachedInspect>();
  /**
   * Bumped by forget(): an inspect begun before a forget may predate the change that prompted
   * it, so its result serves the fetch in progress but is not kept.
   */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly inspect: InspectContainer,
    private readonly maxInFlight = DEFAULT_MAX_INSPECTS_IN_FLIGHT,
  ) {}

  /** Cached documents. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops a container's document, so the next refresh inspects it again (an event was seen). */
  forget(id: string): void {
    this.entries.delete(id);
    this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
  }

  /**
   * The inspect documents of the listed containers, in list order, gone ones left out; fetches
   * the stale and new ones and forgets containers no longer listed.
   */
  async refresh(
    listed: readonly DockerContainerSummary[],
    signal: AbortSignal,
  ): Promise<DockerContainerInspect[]> {
    const results = new Map<string, DockerContainerInspect>();
    const stale: DockerContainerSummary[] = [];
    for (const summary of listed) {
      const cached = this.entries.get(summary.Id);
      if (cached !== undefined && cached.listState === summary.State) results.set(summary.Id, cached.inspect);
      else stale.push(summary);
    }
    await forEachLimited(stale, this.maxInFlight, signal, async (summary, requestSignal) => {
      const generation = this.generations.get(summary.Id) ?? 0;
      const inspect = await this.inspect(summary.Id, requestSignal);
      if (inspect === undefined) {
        this.entries.delete(summary.Id);
        return;
      }
      results.set(summary.Id, inspect);
      if ((this.generations.get(summary.Id) ?? 0) === generation)
        this.entries.set(summary.Id, { listState: summary.State, inspect });
    });
    const listedIds = new Set(listed.map((summary) => summary.Id));
    for (const id of this.entries.keys()) if (!listedIds.has(id)) this.entries.delete(id);
    for (const id of this.generations.keys()) if (!listedIds.has(id)) this.generations.delete(id);
    return listed.flatMap((summary) => {
      const inspect = results.get(summary.Id);
      return inspect === undefined ? [] : [inspect];
    });
  }
}
