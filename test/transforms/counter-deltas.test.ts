import { describe, expect, it } from 'vitest';
import { CounterDeltas } from '../../agent/transforms/counter-deltas/counter-deltas.js';

/** observe() of a counter without tags, as a value to compare. */
function observe(deltas: CounterDeltas, name: string, value: number, atMs: number) {
  return deltas.observe(name, '', value, atMs) ? { increase: deltas.increase, rate: deltas.rate } : undefined;
}

describe('CounterDeltas', () => {
  it('gives nothing on first sight, then the increase and its per-second rate', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    expect(observe(deltas, 'c1/cpu', 100, 0)).toBeUndefined();
    deltas.begin();
    expect(observe(deltas, 'c1/cpu', 125, 10_000)).toEqual({ increase: 25, rate: 2.5 });
    deltas.begin();
    expect(observe(deltas, 'c1/cpu', 125, 20_000)).toEqual({ increase: 0, rate: 0 });
  });

  it('treats a counter that went backwards as reset: counts from zero, never negative', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    observe(deltas, 'c1/bytes', 5_000, 0);
    deltas.begin();
    expect(observe(deltas, 'c1/bytes', 300, 5_000)).toEqual({ increase: 300, rate: 60 });
  });

  it('gives nothing when no time passed between readings', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    observe(deltas, 'k', 1, 1000);
    deltas.begin();
    expect(observe(deltas, 'k', 2, 1000)).toBeUndefined();
    deltas.begin();
    expect(observe(deltas, 'k', 4, 2000)).toEqual({ increase: 2, rate: 2 });
  });

  it('forgets counters not observed in the last scrape, so a returning key starts over', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    observe(deltas, 'gone', 10, 0);
    observe(deltas, 'stays', 10, 0);
    deltas.begin();
    observe(deltas, 'stays', 20, 1000);
    expect(deltas.sweep()).toBe(1);
    expect(deltas.size).toBe(1);
    deltas.begin();
    expect(observe(deltas, 'gone', 50, 2000)).toBeUndefined();
  });

  it('keeps the series of one metric apart, and sweeps them one by one', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    deltas.observe('io.read_bytes', '8:0', 100, 0);
    deltas.observe('io.read_bytes', '8:16', 1_000, 0);
    deltas.begin();
    expect(deltas.observe('io.read_bytes', '8:0', 150, 1000)).toBe(true);
    expect([deltas.increase, deltas.rate]).toEqual([50, 50]);
    expect(deltas.sweep()).toBe(1);
    expect(deltas.size).toBe(1);
    deltas.begin();
    // 8:16 was forgotten: first sight again.
    expect(deltas.observe('io.read_bytes', '8:16', 2_000, 2000)).toBe(false);
  });
});
