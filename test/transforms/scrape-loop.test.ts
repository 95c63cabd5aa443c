import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startScrapeLoop } from '../../agent/pipelines/scrape-loop.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

const log = new RateLimitedLog(pino({ level: 'silent' }));
const point = (timeMs: number): Datapoint => ({
  name: 'x',
  kind: 'gauge',
  value: 1,
  unit: '',
  timeMs,
  tags: {},
});

describe('scrape loop', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it('scrapes on interval boundaries and emits what the scraper returns', async () => {
    const batches: Datapoint[][] = [];
    let resolveTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => {
      resolveTwo = resolve;
    });
    const loop = startScrapeLoop(
      50,
      { name: 'test', scrape: async (timeMs) => [point(timeMs)] },
      (batch) => {
        batches.push(batch);
        if (batches.length === 2) resolveTwo();
      },
      log,
    );
    stop = loop.stop;
    await two;
    expect(batches.map((b) => b[0]!.timeMs % 50)).toEqual([0, 0]);
    expect(batches[1]![0]!.timeMs - batches[0]![0]!.timeMs).toBe(50);
    expect(loop.stats.failures).toBe(0);
  });

  it('counts a failing scrape and goes on to the next', async () => {
    let calls = 0;
    let resolveSecond: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      resolveSecond = resolve;
    });
    const loop = startScrapeLoop(
      30,
      {
        name: 'flaky',
        scrape: async (timeMs) => {
          calls++;
          if (calls === 1) throw new Error('boom');
          resolveSecond();
          return [point(timeMs)];
        },
      },
      () => {},
      log,
    );
    stop = loop.stop;
    await second;
    expect(loop.stats.failures).toBe(1);
  });

  it('skips ticks while a scrape is still running (an overrun), never running two at once', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let overrunSeen: () => void = () => {};
    const overrun = new Promise<void>((resolve) => {
      overrunSeen = resolve;
    });
    const loop = startScrapeLoop(
      20,
      {
        name: 'slow',
        scrape: async () => {
          concurrent++;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await gate;
          concurrent--;
          return [];
        },
      },
      () => {},
      log,
    );
    stop = loop.stop;
    const poll = setInterval(() => {
      if (loop.stats.overruns >= 2) overrunSeen();
    }, 5);
    await overrun;
    clearInterval(poll);
    release();
    expect(maxConcurrent).toBe(1);
    expect(loop.stats.overruns).toBeGreaterThanOrEqual(2);
  });
});
