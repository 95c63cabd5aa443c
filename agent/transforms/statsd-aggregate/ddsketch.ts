import type { SketchSnapshot } from '../../../lib/model/datapoint.js';

/** Values closer to zero than this land in the zero bucket (a timer in ns below 1e-9 ms). */
const MIN_INDEXABLE = 1e-9;
/** Bounds memory per store; past it the lowest bins collapse into one (hurting only low quantiles). */
const MAX_BINS = 2048;

/** Weighted counts over a contiguous range of bin indexes, grown on demand. */
class DenseStore {
  counts = new Float64Array(0);
  offset = 0;
  total = 0;

  add(index: number, weight: number): void {
    if (this.counts.length === 0) {
      this.counts = new Float64Array(16);
      this.offset = index - 8;
    }
    let slot = index - this.offset;
    if (slot < 0 || slot >= this.counts.length) slot = this.grow(index);
    this.counts[slot]! += weight;
    this.total += weight;
  }

  private grow(index: number): number {
    const low = Math.min(index, this.offset);
    const high = Math.max(index, this.offset + this.counts.length - 1);
    const span = high - low + 1;
    if (span > MAX_BINS) return this.collapseBelow(high - MAX_BINS + 1, index);
    // Double the room, leaving the spare bins on the side that grew.
    const length = Math.min(MAX_BINS, Math.max(span, this.counts.length * 2));
    const newOffset = index < this.offset ? high - length + 1 : low;
    const next = new Float64Array(length);
    next.set(this.counts, this.offset - newOffset);
    this.counts = next;
    this.offset = newOffset;
    return index - newOffset;
  }

  /** Keeps MAX_BINS bins from newLow up, folding the lower ones into the first. */
  private collapseBelow(newLow: number, index: number): number {
    const next = new Float64Array(MAX_BINS);
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c !== 0) next[Math.max(this.offset + i, newLow) - newLow]! += c;
    }
    this.counts = next;
    this.offset = newLow;
    return Math.max(index, newLow) - newLow;
  }

  snapshot(): { offset: number; bins: number[] } {
    let first = 0;
    let last = this.counts.length - 1;
    while (first <= last && this.counts[first] === 0) first++;
    while (last >= first && this.counts[last] === 0) last--;
    return { offset: this.offset + first, bins: Array.from(this.counts.subarray(first, last + 1)) };
  }
}

/**
 * DDSketch (Masson, Rim, Lee, VLDB 2019) with a logarithmic mapping: every quantile it
 * returns is within relativeAccuracy of the true value, and two sketches with the same
 * accuracy merge by adding bins. Weighted, so sampled timers count 1/rate per sample.
 */
export class DDSketch {
  private readonly gamma: number;
  private readonly lnGamma: number;
  private readonly positive = new DenseStore();
  private readonly negative = new DenseStore();
  private zeroCount = 0;

  constructor(readonly relativeAccuracy = 0.01) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.lnGamma = Math.log(this.gamma);
  }

  get count(): number {
    return this.positive.total + this.negative.total + this.zeroCount;
  }

  add(value: number, weight = 1): void {
    if (value > MIN_INDEXABLE) this.positive.add(this.index(value), weight);
    else if (value < -MIN_INDEXABLE) this.negative.add(this.index(-value), weight);
    else this.zeroCount += weight;
  }

  private index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.lnGamma);
  }

  private valueAt(index: number): number {
    return (2 * this.gamma ** index) / (this.gamma + 1);
  }

  /** The value at weighted rank (1-based, nearest rank), in ascending order of values. */
  valueAtRank(rank: number): number {
    let seen = 0;
    const neg = this.negative;
    for (let i = neg.counts.length - 1; i >= 0; i--) {
      seen += neg.counts[i]!;
      if (seen >= rank) return -this.valueAt(neg.offset + i);
    }
    seen += this.zeroCount;
    if (seen >= rank) return 0;
    const pos = this.positive;
    for (let i = 0; i < pos.counts.length; i++) {
      seen += pos.counts[i]!;
      if (seen >= rank) return this.valueAt(pos.offset + i);
    }
    // Rounding left the rank just past the total: the largest bin holds it.
    for (let i = pos.counts.length - 1; i >= 0; i--)
      if (pos.counts[i]! > 0) return this.valueAt(pos.offset + i);
    return 0;
  }

  snapshot(): SketchSnapshot {
    const p = this.positive.snapshot();
    const n = this.negative.snapshot();
    return {
      relativeAccuracy: this.relativeAccuracy,
      positiveOffset: p.offset,
      positiveBins: p.bins,
      negativeOffset: n.offset,
      negativeBins: n.bins,
      zeroCount: this.zeroCount,
    };
  }
}
