/**
 * The metric batches stored lately, to drop an agent's re-sends: an agent killed after Kafka
 * took a batch but before its spool recorded that sends the batch again, under a new offset.
 *
 * Each batch is remembered as a 52-bit hash of its agent and batch id, in a ring of
 * `capacity` entries (about 40 bytes each, 40 MB for a million): the oldest are forgotten
 * first. A re-send arriving after more than `capacity` other batches is stored again; so is
 * one arriving after a collector restart (the ring is in memory), or at another collector.
 * Two distinct batches hashing alike (about 1 in 10^9 per batch with a million remembered)
 * would lose the later one.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_RECENT_BATCHES = 1_000_000;

/** 52 bits of SHA-256: exact in a double, so the set holds numbers, not strings. */
export function batchKey(agentId: string, batchId: string): number {
  const digest = createHash('sha256').update(agentId).update('\u0000').update(batchId).digest();
  return digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
}

export class RecentBatches {
  private readonly ring: Float64Array;
  private readonly keys = new Set<number>();
  private next = 0;

  constructor(readonly capacity = DEFAULT_RECENT_BATCHES) {
    this.ring = new Float64Array(capacity);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: number): boolean {
    return this.keys.has(key);
  }

  add(key: number): void {
    if (this.keys.has(key)) return;
    if (this.keys.size === this.capacity) this.keys.delete(this.ring[this.next]!);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.capacity;
    this.keys.add(key);
  }
}
