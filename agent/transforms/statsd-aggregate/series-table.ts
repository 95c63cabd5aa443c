/** Slots are kept at most this full, so probe runs stay short. */
const MAX_LOAD = 0.7;

/**
 * Open-addressing hash table keyed by a 64-bit hash (two int32 halves) of a series' raw key.
 * Unlike Map it is probed with the hash the parser computed over the packet bytes, so a
 * repeated line finds its series without allocating or comparing a string. Each entry is
 * either a series' own (canonical) key or an alias: another spelling of the same series.
 */
export class SeriesTable<V> {
  private values: (V | undefined)[];
  private hash1: Int32Array;
  private hash2: Int32Array;
  private alias: Uint8Array;
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.hash1 = new Int32Array(capacity);
    this.hash2 = new Int32Array(capacity);
    this.alias = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get(h1: number, h2: number): V | undefined {
    let i = h1 & this.mask;
    for (;;) {
      const value = this.values[i];
      if (value === undefined) return undefined;
      if (this.hash1[i] === h1 && this.hash2[i] === h2) return value;
      i = (i + 1) & this.mask;
    }
  }

  /** Inserts or replaces; isAlias marks another spelling of a series already present. */
  set(h1: number, h2: number, value: V, isAlias: boolean): void {
    const found = this.slotOf(h1, h2);
    if (found !== -1) {
      this.values[found] = value;
      this.alias[found] = isAlias ? 1 : 0;
      return;
    }
    if (this.size + 1 > this.values.length * MAX_LOAD) this.resize(this.values.length * 2);
    let i = h1 & this.mask;
    while (this.values[i] !== undefined) i = (i + 1) & this.mask;
    this.put(i, h1, h2, value, isAlias ? 1 : 0);
    this.size++;
  }

  /** Removes a key, shifting later entries of its probe run back (no tombstones). */
  delete(h1: number, h2: number): boolean {
    let i = this.slotOf(h1, h2);
    if (i === -1) return false;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (this.values[j] === undefined) break;
      const home = this.hash1[j]! & this.mask;
      // The entry at j may move to i only if its home slot is not in (i, j] (cyclically).
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.put(i, this.hash1[j]!, this.hash2[j]!, this.values[j]!, this.alias[j]!);
      i = j;
    }
    this.values[i] = undefined;
    this.size--;
    return true;
  }

  /** Calls fn for every entry; fn must not change the table (collect changes, apply after). */
  forEach(fn: (value: V, isAlias: boolean, h1: number, h2: number) => void): void {
    const { values, hash1, hash2, alias } = this;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== undefined) fn(value, alias[i] === 1, hash1[i]!, hash2[i]!);
    }
  }

  private put(i: number, h1: number, h2: number, value: V, alias: number): void {
    this.values[i] = value;
    this.hash1[i] = h1;
    this.hash2[i] = h2;
    this.alias[i] = alias;
  }

  private slotOf(h1: number, h2: number): number {
    let i = h1 & this.mask;
    for (;;) {
      if (this.values[i] === undefined) return -1;
      if (this.hash1[i] === h1 && this.hash2[i] === h2) return i;
      i = (i + 1) & this.mask;
    }
  }

  private resize(capacity: number): void {
    const { values, hash1, hash2, alias } = this;
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.hash1 = new Int32Array(capacity);
    this.hash2 = new Int32Array(capacity);
    this.alias = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      let j = hash1[i]! & this.mask;
      while (this.values[j] !== undefined) j = (j + 1) & this.mask;
      this.put(j, hash1[i]!, hash2[i]!, value, alias[i]!);
    }
  }
}
