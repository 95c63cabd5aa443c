/**
 * The identity hash of a raw key "name|tags|kind": two independent 32-bit hashes (64 bits),
 * computed from the packet bytes while parsing, so a repeated line finds its series without
 * building or comparing a string. Like the DogStatsD agent's context keys, the series table
 * trusts the 64-bit hash: two distinct keys collide with probability ~n^2/2^65 (3e-8 at a
 * million series). Bytes are mixed four at a time as little-endian words (a last partial
 * word of 1-3 bytes as one word), both chains in one loop, since the multiply chain and not
 * the loads is the cost. The parser inlines the same mixing into its scans (line-parser.ts).
 */
export const SEED_1 = 0x811c9dc5;
export const SEED_2 = 0x9747b28c;
export const PRIME_1 = 0x01000193;
export const PRIME_2 = 0x5bd1e995;

/** Running state of both chains (a reused object: no allocation per line). */
export class KeyHasher {
  h1 = SEED_1;
  h2 = SEED_2;

  reset(): this {
    this.h1 = SEED_1;
    this.h2 = SEED_2;
    return this;
  }

  bytes(b: Uint8Array, start: number, end: number): this {
    // A gap at the end is no gap: one loop serves both.
    return this.bytesAround(b, start, end, end, end);
  }

  /**
   * The bytes of [start, end) except [skipStart, skipEnd), mixed exactly as bytes() mixes
   * their concatenation (the words run across the gap), so a key with a part cut out hashes
   * like the same key sent without it.
   */
  bytesAround(b: Uint8Array, start: number, end: number, skipStart: number, skipEnd: number): this {
    let h1 = this.h1;
    let h2 = this.h2;
    let word = 0;
    let shift = 0;
    for (let i = start; i < end; i++) {
      if (i === skipStart) {
        i = skipEnd;
        if (i >= end) break;
      }
      word |= b[i]! << shift;
      shift += 8;
      if (shift === 32) {
        h1 = Math.imul(h1 ^ word, PRIME_1);
        h2 = Math.imul((h2 << 5) ^ (h2 >>> 27) ^ word, PRIME_2);
        word = 0;
        shift = 0;
      }
    }
    if (shift !== 0) {
      h1 = Math.imul(h1 ^ word, PRIME_1);
      h2 = Math.imul((h2 << 5) ^ (h2 >>> 27) ^ word, PRIME_2);
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  byte(c: number): this {
    this.h1 = Math.imul(this.h1 ^ c, PRIME_1);
    this.h2 = Math.imul((this.h2 << 5) ^ (this.h2 >>> 27) ^ c, PRIME_2);
    return this;
  }

  /** Finishes both hashes; length folds in so keys of different lengths never match. */
  finish(length: number): void {
    this.h1 = fmix32(this.h1 ^ length) | 0;
    this.h2 = fmix32(this.h2 + Math.imul(length, 0x27d4eb2d)) | 0;
  }
}

/** MurmurHash3's finalizer: every output bit depends on every input bit. Unsigned. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const PIPE = 124;

/** Hashes a raw key string "name|tags|kind" (one char per byte) exactly as the parser does. */
export function hashRawKey(key: string, into: KeyHasher): KeyHasher {
  const bytes = Buffer.from(key, 'latin1');
  const firstPipe = bytes.indexOf(PIPE);
  const lastPipe = bytes.lastIndexOf(PIPE);
  into
    .reset()
    .bytes(bytes, 0, firstPipe)
    .byte(PIPE)
    .bytes(bytes, firstPipe + 1, lastPipe)
    .byte(PIPE);
  into.bytes(bytes, lastPipe + 1, bytes.length).finish(bytes.length);
  return into;
}
