import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlignedTicker } from '../../agent/pipelines/aligned-ticker.js';

describe('AlignedTicker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at wall-clock multiples of the interval; the first interval is the partial one', () => {
    vi.setSystemTime(12_345);
    const ticks: [number, number][] = [];
    const ticker = new AlignedTicker(1000, (boundary, length) => ticks.push([boundary, length]));
    ticker.start();
    vi.advanceTimersByTime(2_700);
    ticker.stop();
    expect(ticks).toEqual([
      [13_000, 655],
      [14_000, 1000],
      [15_000, 1000],
    ]);
    expect(ticker.intervalStart).toBe(15_000);
  });

  it('skips boundaries a stalled event loop missed instead of firing a burst', () => {
    vi.setSystemTime(10_000);
    const ticks: [number, number][] = [];
    let stall = true;
    const ticker = new AlignedTicker(1000, (boundary, length) => {
      ticks.push([boundary, length]);
      if (stall) {
        stall = false;
        vi.setSystemTime(Date.now() + 3_500); // the handler blocked for 3.5 s
      }
    });
    ticker.start();
    vi.advanceTimersByTime(1_000); // fires at 11 000; the handler leaves the clock at 14 500
    vi.advanceTimersByTime(1_000); // the timer for 12 000 fires late, at 15 500
    ticker.stop();
    expect(ticks).toEqual([
      [11_000, 1000],
      [15_000, 4000],
    ]);
  });
});
