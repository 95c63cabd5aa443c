/**
 * Approximate structures: DDSketch percentiles within 1% relative error of the exact nearest
 * rank, HyperLogLog within 3% at 100k and 1M members, and both taking over inside the engine.
 */
import { describe, expect, it } from 'vitest';
import { DDSketch } from '../../agent/transforms/statsd-aggregate/ddsketch.js';
import { HyperLogLog } from '../../agent/transforms/statsd-aggregate/hyperloglog.js';
import { hashMember } from '../../agent/transforms/statsd-aggregate/member-hash.js';
import {
  engine,
  exactPercentile,
  exactWeightedPercentiles,
  flushOne,
  nearestRankOf,
  normal,
  prng,
} from './helpers.js';

const QUANTILES = [0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
/** 1% relative accuracy, plus room for floating-point rounding at bin boundaries. */
const ALPHA = 0.01 + 1e-12;

function relativeError(approx: number, exact: number): number {
  if (exact === 0) return Math.abs(approx);
  return Math.abs(approx - exact) / Math.abs(exact);
}

/** Checks every quantile of the sketch against the sorted values it was fed. */
function expectWithinAlpha(sketch: DDSketch, values: Float64Array): void {
  const sorted = Float64Array.from(values).sort();
  for (const q of QUANTILES) {
    const rank = nearestRankOf(q, sorted.length);
    const exact = sorted[rank - 1]!;
    const approx = sketch.valueAtRank(rank);
    expect(relativeError(approx, exact), `q${q}: exact ${exact}, sketch ${approx}`).toBeLessThanOrEqual(
      ALPHA,
    );
  }
}

function sample(n: number, draw: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = draw();
  return out;
}

const N = 100_000;

describe('DDSketch', () => {
  const distributions: [string, () => Float64Array][] = [
    [
      'lognormal(0, 1)',
      () => {
        const z = normal(prng(1));
        return sample(N, () => Math.exp(z()));
      },
    ],
    [
      'lognormal(3, 2.5), spanning many decades',
      () => {
        const z = normal(prng(2));
        return sample(N, () => Math.exp(3 + 2.5 * z()));
      },
    ],
    [
      'uniform [0, 1000)',
      () => {
        const r = prng(3);
        return sample(N, () => r() * 1000);
      },
    ],
    [
      'uniform [-1000, 1000), negative values included',
      () => {
        const r = prng(4);
        return sample(N, () => r() * 2000 - 1000);
      },
    ],
    [
      'normal(0, 50), mostly small magnitudes around zero',
      () => {
        const z = normal(prng(5));
        return sample(N, () => 50 * z());
      },
    ],
    [
      'all negative: -exp(N(2, 1))',
      () => {
        const z = normal(prng(6));
        return sample(N, () => -Math.exp(2 + z()));
      },
    ],
    [
      'integers 0..999 with many exact zeros and ties',
      () => {
        const r = prng(7);
        return sample(N, () => (r() < 0.2 ? 0 : Math.floor(r() * 1000)));
      },
    ],
  ];

  it.each(distributions)('%s: 100k samples, every quantile within 1 percent of exact', (_name, make) => {
    const values = make();
    const sketch = new DDSketch(0.01);
    for (const v of values) sketch.add(v, 1);
    expect(sketch.count).toBe(N);
    expectWithinAlpha(sketch, values);
  });

  it('a weight w counts like w copies of the value', () => {
    const r = prng(8);
    const weighted = new DDSketch(0.01);
    const copies = new DDSketch(0.01);
    const expanded: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = Math.exp(4 * r());
      const w = 1 + Math.floor(r() * 4);
      weighted.add(v, w);
      for (let k = 0; k < w; k++) {
        copies.add(v, 1);
        expanded.push(v);
      }
    }
    expect(weighted.count).toBe(expanded.length);
    for (const q of QUANTILES) {
      const rank = nearestRankOf(q, expanded.length);
      expect(weighted.valueAtRank(rank)).toBe(copies.valueAtRank(rank));
    }
    expectWithinAlpha(weighted, Float64Array.from(expanded));
  });

  it('fractional weights (sample rates) keep ranks within 1%', () => {
    const r = prng(9);
    const sketch = new DDSketch(0.01);
    const samples: { v: number; w: number }[] = [];
    const rates = [1, 0.5, 0.25, 0.1, 0.3];
    for (let i = 0; i < 50_000; i++) {
      const v = 1 + r() * 999;
      const w = 1 / rates[i % rates.length]!;
      sketch.add(v, w);
      samples.push({ v, w });
    }
    let total = 0;
    for (const s of samples) total += s.w;
    expect(sketch.count).toBeCloseTo(total, 6);
    const qs = [1, 10, 50, 90, 99, 99.9];
    const exacts = exactWeightedPercentiles(samples, qs);
    for (const [i, q] of qs.entries()) {
      const exact = exacts[i]!;
      const rank = Math.max(1, Math.ceil((q / 100) * total - 1e-9 * total));
      expect(relativeError(sketch.valueAtRank(rank), exact), `q${q}`).toBeLessThanOrEqual(ALPHA);
    }
  });

  it('the snapshot holds every sample: bins plus zero count equal the count', () => {
    const z = normal(prng(10));
    const sketch = new DDSketch(0.01);
    for (let i = 0; i < 10_000; i++) sketch.add(i % 10 === 0 ? 0 : 100 * z(), 1);
    const snap = sketch.snapshot();
    const sum = (bins: number[]) => bins.reduce((a, b) => a + b, 0);
    expect(snap.relativeAccuracy).toBe(0.01);
    expect(snap.zeroCount).toBe(1000);
    expect(sum(snap.positiveBins) + sum(snap.negativeBins) + snap.zeroCount).toBe(10_000);
    expect(snap.positiveBins[0]).not.toBe(0);
    expect(snap.positiveBins.at(-1)).not.toBe(0);
    expect(snap.negativeBins[0]).not.toBe(0);
  });

  it('a single value comes back within 1% at every rank', () => {
    for (const v of [1e-6, 0.001, 1, 42, 1e6, 1e12, -3.5]) {
      const sketch = new DDSketch(0.01);
      sketch.add(v, 3);
      for (const rank of [1, 2, 3])
        expect(relativeError(sketch.valueAtRank(rank), v)).toBeLessThanOrEqual(ALPHA);
    }
  });

  it('honours a coarser relative accuracy', () => {
    const z = normal(prng(11));
    const values = sample(20_000, () => Math.exp(z()));
    const sketch = new DDSketch(0.05);
    for (const v of values) sketch.add(v, 1);
    const sorted = Float64Array.from(values).sort();
    for (const q of QUANTILES) {
      const rank = nearestRankOf(q, sorted.length);
      expect(relativeError(sketch.valueAtRank(rank), sorted[rank - 1]!)).toBeLessThanOrEqual(0.05 + 1e-12);
    }
  });
});

describe('HyperLogLog', () => {
  function estimate(n: number, prefix: string, repeat = 1): number {
    const hll = new HyperLogLog();
    for (let k = 0; k < repeat; k++) for (let i = 0; i < n; i++) hll.add(hashMember(`${prefix}${i}`));
    return hll.estimate();
  }

  it.each([
    [100_000, 'user-'],
    [100_000, 'session:'],
    [1_000_000, 'm'],
  ])('%d distinct members (%s...) estimated within 3 percent', (n, prefix) => {
    expect(relativeError(estimate(n, prefix), n)).toBeLessThanOrEqual(0.03);
  });

  it.each([1000, 10_000, 30_000])('%d distinct members estimated within 3 percent (small range)', (n) => {
    expect(relativeError(estimate(n, 'x'), n)).toBeLessThanOrEqual(0.03);
  });

  it('repeated members do not count again', () => {
    expect(relativeError(estimate(20_000, 'dup', 5), 20_000)).toBeLessThanOrEqual(0.03);
  });

  it('an empty sketch estimates 0', () => {
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it('hashMember is deterministic and spreads similar members apart', () => {
    expect(hashMember('abc')).toBe(hashMember('abc'));
    const hashes = new Set<number>();
    for (let i = 0; i < 100_000; i++) hashes.add(hashMember(`k${i}`));
    expect(hashes.size).toBe(100_000);
    for (const h of [hashMember(''), hashMember('a'), hashMember('é')]) {
      expect(Number.isSafeInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('through the engine', () => {
  function timerLines(values: ArrayLike<number>, suffix = ''): Buffer {
    const lines: string[] = [];
    for (let i = 0; i < values.length; i++) lines.push(`lat:${values[i]}|ms${suffix}`);
    return Buffer.from(lines.join('\n'));
  }

  it('a timer fed 100k lognormal samples past timerSampleCap: percentiles within 1% of exact', () => {
    const z = normal(prng(12));
    const values = sample(N, () => Math.exp(3 + 1.5 * z()));
    const e = engine({ timerSampleCap: 1000, percentiles: [1, 50, 90, 95, 99, 99.9, 100] });
    e.ingestLines(timerLines(values));
    expect(e.stats.rejectedTotal).toBe(0);
    const t = flushOne(e).lat!.timer!;
    expect(t.approximate).toBe(true);
    expect(t.sketch).toBeDefined();
    expect(t.count).toBe(N);
    const sorted = Float64Array.from(values).sort();
    expect(t.min).toBe(sorted[0]);
    expect(t.max).toBe(sorted[N - 1]);
    let sum = 0;
    for (const v of values) sum += v;
    expect(t.sum).toBeCloseTo(sum, 6);
    for (const [key, approx] of Object.entries(t.percentiles)) {
      const exact = exactPercentile(sorted, Number(key));
      expect(relativeError(approx, exact), `p${key}: exact ${exact}, got ${approx}`).toBeLessThanOrEqual(
        ALPHA,
      );
    }
  });

  it('a sampled timer past the cap: weighted percentiles within 1% of exact', () => {
    const r = prng(13);
    const rates = ['', '|@0.5', '|@0.25', '|@0.1'];
    const samples: { v: number; w: number }[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const v = Math.round(r() * 1e6) / 1000;
      const k = i % rates.length;
      samples.push({ v, w: [1, 2, 4, 10][k]! });
      lines.push(`lat:${v}|h${rates[k]}`);
    }
    const e = engine({ timerSampleCap: 500, percentiles: [10, 50, 90, 99] });
    e.ingestLines(Buffer.from(lines.join('\n')));
    const t = flushOne(e).lat!.timer!;
    expect(t.approximate).toBe(true);
    expect(t.count).toBeCloseTo(10_000 * 17, 6);
    const keys = Object.keys(t.percentiles);
    const exacts = exactWeightedPercentiles(samples, keys.map(Number));
    for (const [i, key] of keys.entries()) {
      expect(relativeError(t.percentiles[key]!, exacts[i]!), `p${key}`).toBeLessThanOrEqual(ALPHA);
    }
  });

  it('a set stays exact up to setExactCap members', () => {
    const e = engine({ setExactCap: 5000 });
    const lines = Array.from({ length: 5000 }, (_, i) => `u:member-${i}|s`);
    e.ingestLines(Buffer.from([...lines, ...lines].join('\n')));
    expect(flushOne(e).u!.value).toBe(5000);
  });

  it('a set past setExactCap is estimated within 3% (100k members)', () => {
    const e = engine({ setExactCap: 1000 });
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`u:${(i * 2654435761) % 4294967296}|s`);
    e.ingestLines(Buffer.from(lines.join('\n')));
    e.ingestLines(Buffer.from(lines.slice(0, 50_000).join('\n'))); // repeats do not count
    expect(e.stats.rejectedTotal).toBe(0);
    const value = flushOne(e).u!.value;
    expect(Number.isInteger(value)).toBe(true);
    expect(relativeError(value, 100_000)).toBeLessThanOrEqual(0.03);
  });

  it('the next interval of a set starts exact again', () => {
    const e = engine({ setExactCap: 10 });
    e.ingestLines(Buffer.from(Array.from({ length: 1000 }, (_, i) => `u:${i}|s`).join('\n')));
    flushOne(e);
    e.ingestLines(Buffer.from('u:a|s\nu:b|s\nu:a|s'));
    expect(flushOne(e).u!.value).toBe(2);
  });
});
