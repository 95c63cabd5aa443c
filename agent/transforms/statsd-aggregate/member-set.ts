/**
 * Exact set of 53-bit member hashes: open addressing over a Float64Array, so adding a
 * member allocates nothing (a Set<number> boxes every hash above 2^31 as a heap number).
 */
export class MemberSet {
  private slots = new Float64Array(16);
  size = 0;

  /** Adds a hash (any 53-bit non-negative integer); returns the new size. */
  add(hash: number): number {
    // 0 marks an empty slot; hash 0 is stored as 2^53, outside the hash range.
    const stored = hash === 0 ? 9007199254740992 : hash;
    let mask = this.slots.length - 1;
    if ((this.size + 1) * 4 > this.slots.length * 3) {
      this.grow();
      mask = this.slots.length - 1;
    }
    let i = ((stored % 4294967296) >>> 0) & mask;
    for (;;) {
      const slot = this.slots[i]!;
      if (slot === 0) {
        this.slots[i] = stored;
        return ++this.size;
      }
      if (slot === stored) return this.size;
      i = (i + 1) & mask;
    }
  }

  /** Every hash in the set. */
  forEach(fn: (hash: number) => void): void {
    for (const slot of this.slots) if (slot !== 0) fn(slot === 9007199254740992 ? 0 : slot);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.size = 0;
    for (const slot of old) if (slot !== 0) this.add(slot === 9007199254740992 ? 0 : slot);
  }
}
