import { describe, expect, it } from 'vitest';
import { CounterDeltas } from '../../agent/transforms/counter-deltas/counter-deltas.js';

describe('CounterDeltas', () => {
  it('gives nothing on first sight, then the increase and its per-second rate', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    expect(deltas.observe('c1/cpu', 100, 0)).toBeUndefined();
    deltas.begin();
    expect(deltas.observe('c1/cpu', 125, 10_000)).toEqual({ increase: 25, rate: 2.5 });
    deltas.begin();
    expect(deltas.observe('c1/cpu', 125, 20_000)).toEqual({ increase: 0, rate: 0 });
  });

  it('treats a counter that went backwards as reset: counts from zero, never negative', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    deltas.observe('c1/bytes', 5_000, 0);
    deltas.begin();
    expect(deltas.observe('c1/bytes', 300, 5_000)).toEqual({ increase: 300, rate: 60 });
  });

  it('gives nothing when no time passed between readings', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    deltas.observe('k', 1, 1000);
    deltas.begin();
    expect(deltas.observe('k', 2, 1000)).toBeUndefined();
    deltas.begin();
    expect(deltas.observe('k', 4, 2000)).toEqual({ increase: 2, rate: 2 });
  });

  it('forgets counters not observed in the last scrape, so a returning key starts over', () => {
    const deltas = new CounterDeltas();
    deltas.begin();
    deltas.observe('gone', 10, 0);
    deltas.observe('stays', 10, 0);
    deltas.begin();
    deltas.observe('stays', 20, 1000);
    expect(deltas.sweep()).toBe(1);
    expect(deltas.size).toBe(1);
    deltas.begin();
    expect(deltas.observe('gone', 50, 2000)).toBeUndefined();
  });
});
