/**
 * The agent's flush runs in slices, letting the sockets be read in between
 * (StatsdAggregator.flushInSlices): the same datapoints as a flush at once, lines that land
 * between slices counted exactly once, expiry that spares a series a line revived, and one
 * flush at a time.
 */
import { describe, expect, it } from 'vitest';
import type { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { engine, feed, feedPacket, INTERVAL_MS, seriesKey } from './helpers.js';

/** Every slice as short as can be: a yield after each step of series. */
const EVERY_STEP = 0;

function mixedLoad(e: StatsdEngine, round: number): void {
  const lines: string[] = [];
  for (let i = 0; i < 700; i++) {
    lines.push(`app.requests.${i}:${i + round}|c|#route:r${i % 7}`);
    lines.push(`app.latency.${i % 50}:${(i * 7 + round) % 300}|ms|@0.5`);
    lines.push(`app.pool.${i % 40}:${i}|g`);
    lines.push(`app.users.${i % 30}:u${i % 90}|s`);
  }
  for (let i = 0; i < lines.length; i += 25) feedPacket(e, lines.slice(i, i + 25));
  for (let c = 0; c < 4; c++) feedPacket(e, [`ctr.hits:${c + 1}|c`, `ctr.lat:${c}|ms`], `container-${c}`);
  feed(e, `stamped.count:3|c|T${Math.floor((round + 1) * 5)}`);
}

const bySeries = (points: readonly Datapoint[]) =>
  new Map(points.map((p) => [`${seriesKey(p)}@${p.timeMs}`, p]));

const counterValues = (points: readonly Datapoint[]) =>
  new Map(points.filter((p) => p.kind === 'counter').map((p) => [p.name, p.value]));

describe('flushInSlices', () => {
  it('emits exactly what a flush at once emits, flush after flush', async () => {
    const atOnce = engine({ idleTtlMs: 20_000 });
    const sliced = engine({ idleTtlMs: 20_000 });
    for (let round = 0; round < 4; round++) {
      // Rounds 2 and 3 send nothing: gauges repeat, then everything expires.
      if (round < 2) {
        mixedLoad(atOnce, round);
        mixedLoad(sliced, round);
      }
      const t = (round + 1) * INTERVAL_MS;
      const expected = atOnce.flush(t);
      const actual = await sliced.aggregator.flushInSlices(t, INTERVAL_MS, EVERY_STEP);
      expect(actual.length).toBe(expected.length);
      expect(bySeries(actual)).toEqual(bySeries(expected));
      expect(sliced.aggregator.liveSeries).toBe(atOnce.aggregator.liveSeries);
    }
    expect(sliced.aggregator.liveSeries).toBe(0);
  });

  it('yields to the event loop while it runs', async () => {
    const e = engine();
    for (let i = 0; i < 2000; i++) feed(e, `c.${i}:1|c`);
    const events: string[] = [];
    const flushed = e.aggregator.flushInSlices(INTERVAL_MS, INTERVAL_MS, EVERY_STEP).then((points) => {
      events.push(`flushed ${points.length}`);
    });
    setImmediate(() => events.push('immediate'));
    await flushed;
    expect(events).toEqual(['immediate', 'flushed 2000']);
  });

  it('counts a line that lands between slices once: in this flush if its series was not flushed yet, else in the next', async () => {
    const e = engine();
    const series = 1000;
    for (let i = 0; i < series; i++) feed(e, `c.${i}:1|c`);
    const flushing = e.aggregator.flushInSlices(INTERVAL_MS, INTERVAL_MS, EVERY_STEP);
    // The first slice has run; the rest of the series are still to flush.
    for (let i = 0; i < series; i++) feed(e, `c.${i}:10|c`);
    const first = counterValues(await flushing);
    const next = counterValues(e.flush(2 * INTERVAL_MS));

    expect(first.size).toBe(series);
    for (let i = 0; i < series; i++) {
      const name = `c.${i}`;
      // Either both lines in the first flush, or one in each.
      if (first.get(name) === 11) expect(next.has(name)).toBe(false);
      else {
        expect(first.get(name)).toBe(1);
        expect(next.get(name)).toBe(10);
      }
    }
    expect(next.size).toBeGreaterThan(0);
    expect(next.size).toBeLessThan(series);
    const total = [...first.values(), ...next.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(series * 11);
  });

  it('keeps an expiring series that a line revives between slices, with that line', async () => {
    const e = engine({ idleTtlMs: 30_000 });
    const series = 1000;
    for (let i = 0; i < series; i++) feed(e, `c.${i}:1|c`);
    expect(e.flush(INTERVAL_MS)).toHaveLength(series);
    e.flush(2 * INTERVAL_MS);
    e.flush(3 * INTERVAL_MS);
    // Idle for three flushes: this one expires every series...
    const flushing = e.aggregator.flushInSlices(4 * INTERVAL_MS, INTERVAL_MS, EVERY_STEP);
    // ...but these lines come while it runs.
    for (let i = 0; i < series; i++) feed(e, `c.${i}:5|c`);
    const expiring = counterValues(await flushing);
    const next = counterValues(e.flush(5 * INTERVAL_MS));

    expect(e.aggregator.liveSeries).toBe(series);
    expect(next.size + expiring.size).toBe(series);
    const total = [...expiring.values(), ...next.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(series * 5);
  });

  it('runs one flush at a time: a second waits, a flush at once meanwhile is refused', async () => {
    const e = engine();
    for (let i = 0; i < 2000; i++) feed(e, `c.${i}:1|c`);
    const first = e.aggregator.flushInSlices(INTERVAL_MS, INTERVAL_MS, EVERY_STEP);
    const second = e.aggregator.flushInSlices(2 * INTERVAL_MS, INTERVAL_MS, EVERY_STEP);
    expect(() => e.flush(3 * INTERVAL_MS)).toThrow(/sliced flush runs/);
    expect(await first).toHaveLength(2000);
    // Nothing was sent after the first began, so the second interval is empty.
    expect(await second).toHaveLength(0);
  });
});
