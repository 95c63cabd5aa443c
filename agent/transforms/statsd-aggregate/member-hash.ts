import { fmix32 } from '../../sources/statsd/raw-hash.js';

const TWO_POW_21 = 2097152;

/**
 * A 53-bit hash of a set member's bytes, exact as a double. Sets keep hashes rather than
 * strings: no member is decoded or retained, and a collision needs ~10^8 members to be likely.
 */
export function hashMemberBytes(b: Uint8Array, start: number, end: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  const length = end - start;
  const high = fmix32(h1 ^ length);
  const low = fmix32(h2 + length) & (TWO_POW_21 - 1);
  return high * TWO_POW_21 + low;
}

/** The hash of a member given as text (its UTF-8 bytes, as on the wire). */
export function hashMember(member: string): number {
  const bytes = Buffer.from(member, 'utf8');
  return hashMemberBytes(bytes, 0, bytes.length);
}

/** Splits a 53-bit member hash into its high 32 bits and low 21 bits. */
export function hashHigh(hash: number): number {
  return Math.floor(hash / TWO_POW_21);
}

export function hashLow(hash: number): number {
  return hash % TWO_POW_21;
}
