/**
 * Aggregation and flush semantics through the StatsdEngine facade: what each flush emits,
 * timer statistics and nearest-rank percentiles (hand-computed), idle TTL and cardinality caps.
 */
import { describe, expect, it } from 'vitest';
import { formatDatapoint } from '../../agent/sinks/stdout/stdout-sink.js';
import { engine, feed, feedPacket, find, flush, flushOne, rejects } from './helpers.js';

describe('flush', () => {
  it('stamps every datapoint with the flush time passed in', () => {
    const e = engine();
    feed(e, 'c:1|c', 'g:1|g', 't:1|ms', 's:x|s');
    const points = e.flush(1_234_560_000);
    expect(points).toHaveLength(4);
    for (const p of points) expect(p.timeMs).toBe(1_234_560_000);
  });

  it('emits one datapoint per live series', () => {
    const e = engine();
    feed(e, 'a:1|c', 'a:1|c', 'a:1|c|#k:v', 'b:1|c', 'a:1|c|c:ctr');
    expect(flush(e)).toHaveLength(4);
  });

  it('a flush with nothing received emits nothing', () => {
    expect(flush(engine())).toEqual([]);
  });
});

describe('counters', () => {
  it('value is the sum in the interval, rate is value per second of the interval', () => {
    const e = engine();
    feed(e, 'c:3|c', 'c:4|c', 'c:1|c|@0.5');
    const p = flushOne(e).c!;
    expect(p).toMatchObject({ kind: 'counter', value: 9, unit: '' });
    expect(p.rate).toBeCloseTo(0.9, 12);
    expect(p.timer).toBeUndefined();
  });

  it('rate uses the interval length passed to flush (a partial interval)', () => {
    const e = engine();
    feed(e, 'c:6|c');
    const p = e.flush(3000, 3000)[0]!;
    expect(p.value).toBe(6);
    expect(p.rate).toBe(2);
  });

  it('rate defaults to the configured flush interval', () => {
    const e = engine({ flushIntervalMs: 2000 });
    feed(e, 'c:6|c');
    expect(e.flush(2000)[0]!.rate).toBe(3);
  });

  it('starts from zero each interval and emits nothing in an interval with no samples', () => {
    const e = engine();
    feed(e, 'c:5|c');
    expect(flushOne(e).c!.value).toBe(5);
    expect(flush(e)).toEqual([]);
    feed(e, 'c:2|c');
    expect(flushOne(e).c!.value).toBe(2);
  });

  it('a counter summing to zero is still emitted (it had samples)', () => {
    const e = engine();
    feed(e, 'c:5|c', 'c:-5|c');
    expect(flushOne(e).c).toMatchObject({ value: 0, rate: 0 });
  });
});

describe('gauges', () => {
  it('keep their value across flushes', () => {
    const e = engine();
    feed(e, 'g:42|g');
    expect(flushOne(e).g!.value).toBe(42);
    expect(flushOne(e).g!.value).toBe(42);
    feed(e, 'g:+1|g');
    expect(flushOne(e).g!.value).toBe(43);
  });

  it('report the last value set in the interval', () => {
    const e = engine();
    feed(e, 'g:1|g', 'g:2|g', 'g:3|g');
    expect(flushOne(e).g!.value).toBe(3);
  });
});

describe('sets', () => {
  it('value is the number of distinct members in the interval', () => {
    const e = engine();
    feed(e, 's:a|s', 's:b|s', 's:a|s', 's:A|s', 's:a b|s', 's:1|s', 's:01|s');
    expect(flushOne(e).s!.value).toBe(6);
  });

  it('members are counted afresh each interval, and an idle set emits nothing', () => {
    const e = engine();
    feed(e, 's:a|s', 's:b|s');
    expect(flushOne(e).s!.value).toBe(2);
    feed(e, 's:a|s');
    expect(flushOne(e).s!.value).toBe(1);
    expect(flush(e)).toEqual([]);
  });

  it('any string is a member: unicode, punctuation, numbers as text', () => {
    const e = engine();
    feed(e, 's:ünï|s', 's:a=b,c|s', 's:1.0|s', 's:1|s', 's:#x|s', 's:@y|s');
    expect(flushOne(e).s!.value).toBe(6);
  });
});

describe('timers', () => {
  it('values 1..10: count, sum, min, max, mean, population stddev, percentiles', () => {
    const e = engine();
    feed(e, ...[7, 3, 10, 1, 5, 9, 2, 8, 4, 6].map((v) => `t:${v}|ms`));
    const p = flushOne(e).t!;
    expect(p).toMatchObject({ kind: 'timer', unit: 'ms' });
    expect(p.value).toBeCloseTo(5.5, 12);
    const t = p.timer!;
    expect(t).toMatchObject({ count: 10, sum: 55, min: 1, max: 10, approximate: false });
    expect(t.mean).toBeCloseTo(5.5, 12);
    expect(t.stddev).toBeCloseTo(Math.sqrt(8.25), 12);
    // Nearest rank: ceil(p/100 * 10) -> ranks 5, 9, 10, 10.
    expect(t.percentiles).toEqual({ '50': 5, '90': 9, '95': 10, '99': 10 });
    expect(t.sketch).toBeUndefined();
  });

  it.each<[number[], Record<string, number>]>([
    [[42], { '50': 42, '90': 42, '95': 42, '99': 42 }],
    [[3, 1, 2], { '50': 2, '90': 3, '95': 3, '99': 3 }],
    [[1, 2], { '50': 1, '90': 2, '95': 2, '99': 2 }],
    [[5, 5, 5, 1], { '50': 5, '90': 5, '95': 5, '99': 5 }],
    [[-3, -1, -2, 0], { '50': -2, '90': 0, '95': 0, '99': 0 }],
    [Array.from({ length: 20 }, (_, i) => i + 1), { '50': 10, '90': 18, '95': 19, '99': 20 }],
    [Array.from({ length: 100 }, (_, i) => 100 - i), { '50': 50, '90': 90, '95': 95, '99': 99 }],
  ])('nearest-rank percentiles of %j', (values, percentiles) => {
    const e = engine();
    feed(e, ...values.map((v) => `t:${v}|ms`));
    expect(flushOne(e).t!.timer!.percentiles).toEqual(percentiles);
  });

  it('configured percentiles become keys as written ("99.9", "100")', () => {
    const e = engine({ percentiles: [25, 99.9, 100] });
    feed(e, ...Array.from({ length: 1000 }, (_, i) => `t:${i + 1}|ms`));
    // ranks ceil(250) = 250, ceil(999) = 999, 1000
    expect(flushOne(e).t!.timer!.percentiles).toEqual({ '25': 250, '99.9': 999, '100': 1000 });
  });

  it('ranks are exact where p/100 * n is a whole number despite floating point (7% of 100 is rank 7)', () => {
    // (7 / 100) * 100 = 7.000000000000001 in floating point; the rank must still be 7, not 8.
    const e = engine({ percentiles: [7, 14, 28, 56, 57] });
    feed(e, ...Array.from({ length: 100 }, (_, i) => `t:${i + 1}|ms`));
    expect(flushOne(e).t!.timer!.percentiles).toEqual({ '7': 7, '14': 14, '28': 28, '56': 56, '57': 57 });
  });

  it('values 1..10 all at @0.5 count double and give the same percentiles', () => {
    const e = engine();
    feed(e, ...Array.from({ length: 10 }, (_, i) => `t:${i + 1}|ms|@0.5`));
    const t = flushOne(e).t!.timer!;
    expect(t).toMatchObject({ count: 20, sum: 110, min: 1, max: 10 });
    expect(t.mean).toBeCloseTo(5.5, 12);
    expect(t.stddev).toBeCloseTo(Math.sqrt(8.25), 12);
    // Total weight 20: ranks 10, 18, 19, 20 -> values 5, 9, 10, 10.
    expect(t.percentiles).toEqual({ '50': 5, '90': 9, '95': 10, '99': 10 });
  });

  it('a sampled sample weighs 1/rate in the percentiles', () => {
    // 1 and 2 weigh 1, 10 weighs 4 (@0.25): sorted weights 1,1,4, total 6.
    const e = engine({ percentiles: [10, 25, 34, 50, 90] });
    feed(e, 't:10|ms|@0.25', 't:2|ms', 't:1|ms');
    const t = flushOne(e).t!.timer!;
    expect(t).toMatchObject({ count: 6, sum: 43, min: 1, max: 10 });
    expect(t.mean).toBeCloseTo(43 / 6, 12);
    // ranks: ceil(0.6)=1 -> 1; ceil(1.5)=2 -> 2; ceil(2.04)=3 -> 10; 3 -> 10; ceil(5.4)=6 -> 10
    expect(t.percentiles).toEqual({ '10': 1, '25': 2, '34': 10, '50': 10, '90': 10 });
  });

  it('weighted stddev: 1 at rate 1 and 3 at @0.5 is the population stddev of [1, 3, 3]', () => {
    const e = engine();
    feed(e, 't:1|ms', 't:3|ms|@0.5');
    const t = flushOne(e).t!.timer!;
    expect(t.count).toBe(3);
    expect(t.sum).toBe(7);
    expect(t.mean).toBeCloseTo(7 / 3, 12);
    expect(t.stddev).toBeCloseTo(Math.sqrt(8 / 9), 12);
    expect(t.percentiles['50']).toBe(3); // rank ceil(1.5) = 2 -> 3
  });

  it('rates like 0.3 whose weights do not sum exactly still give exact ranks', () => {
    // Each weighs 1/0.3 = 3.33..., total 10: p30 is rank 3 -> 1, p50 rank 5 -> 2, p70 rank 7 -> 3.
    const e = engine({ percentiles: [30, 50, 70] });
    feed(e, 't:3|ms|@0.3', 't:1|ms|@0.3', 't:2|ms|@0.3');
    const t = flushOne(e).t!.timer!;
    expect(t.count).toBeCloseTo(10, 9);
    expect(t.percentiles).toEqual({ '30': 1, '50': 2, '70': 3 });
  });

  it('mixed rates: 1..4 at rate 1 and 5 at @0.2', () => {
    const e = engine({ percentiles: [40, 50, 100] });
    feed(e, 't:1|ms', 't:2|ms', 't:5|ms|@0.2', 't:3|ms', 't:4|ms');
    const t = flushOne(e).t!.timer!;
    // Total weight 9: p40 rank ceil(3.6)=4 -> 4, p50 rank ceil(4.5)=5 -> 5.
    expect(t.count).toBeCloseTo(9, 12);
    expect(t.percentiles).toEqual({ '40': 4, '50': 5, '100': 5 });
  });

  it('multi-value timer lines share the line sample rate', () => {
    const e = engine();
    feed(e, 't:1:2:3|d|@0.5');
    const t = flushOne(e).t!.timer!;
    expect(t).toMatchObject({ count: 6, sum: 12, min: 1, max: 3 });
    expect(t.percentiles['50']).toBe(2);
  });

  it('unit: ms for ms timers, empty for h and d', () => {
    const e = engine();
    feed(e, 'a:1|ms', 'b:1|h', 'c:1|d');
    const out = flushOne(e);
    expect(out.a!.unit).toBe('ms');
    expect(out.b!.unit).toBe('');
    expect(out.c!.unit).toBe('');
  });

  it('negative and zero timer values are kept', () => {
    const e = engine();
    feed(e, 't:-5|h', 't:0|h', 't:5|h');
    const t = flushOne(e).t!.timer!;
    expect(t).toMatchObject({ count: 3, sum: 0, min: -5, max: 5, mean: 0 });
    expect(t.percentiles['50']).toBe(0);
  });

  it('start afresh each interval and emit nothing in an interval with no samples', () => {
    const e = engine();
    feed(e, 't:100|ms', 't:200|ms');
    expect(flushOne(e).t!.timer!.count).toBe(2);
    expect(flush(e)).toEqual([]);
    feed(e, 't:7|ms');
    expect(flushOne(e).t!.timer).toMatchObject({ count: 1, sum: 7, min: 7, max: 7, stddev: 0 });
  });

  it('stay exact up to timerSampleCap samples and switch to the sketch past it', () => {
    const cap = 100;
    const e = engine({ timerSampleCap: cap });
    feed(e, ...Array.from({ length: cap }, (_, i) => `t:${i + 1}|ms`));
    const exact = flushOne(e).t!.timer!;
    expect(exact.approximate).toBe(false);
    expect(exact.sketch).toBeUndefined();
    expect(exact.percentiles).toEqual({ '50': 50, '90': 90, '95': 95, '99': 99 });

    feed(e, ...Array.from({ length: cap + 1 }, (_, i) => `t:${i + 1}|ms`));
    const approx = flushOne(e).t!.timer!;
    expect(approx.approximate).toBe(true);
    expect(approx.sketch).toBeDefined();
    expect(approx.sketch!.relativeAccuracy).toBe(0.01);
    // count, sum, min, max, mean stay exact; percentiles within 1%.
    expect(approx).toMatchObject({ count: 101, sum: 5151, min: 1, max: 101 });
    expect(approx.mean).toBeCloseTo(51, 12);
    const exactRanks = { '50': 51, '90': 91, '95': 96, '99': 100 };
    for (const [key, want] of Object.entries(exactRanks)) {
      expect(Math.abs(approx.percentiles[key]! - want) / want, key).toBeLessThanOrEqual(0.01);
    }
    const sk = approx.sketch!;
    const weight = sk.positiveBins.reduce((a, b) => a + b, 0) + sk.negativeBins.reduce((a, b) => a + b, 0);
    expect(weight + sk.zeroCount).toBe(101);

    // The next interval starts exact again.
    feed(e, 't:1|ms');
    expect(flushOne(e).t!.timer!.approximate).toBe(false);
  });

  it('sampled values moved into the sketch keep their weight', () => {
    const e = engine({ timerSampleCap: 4 });
    feed(e, 't:1|ms|@0.5', 't:2|ms|@0.5', 't:3|ms', 't:4|ms', 't:100|ms|@0.25');
    const t = flushOne(e).t!.timer!;
    expect(t.approximate).toBe(true);
    expect(t.count).toBe(10);
    const sk = t.sketch!;
    expect(sk.positiveBins.reduce((a, b) => a + b, 0) + sk.zeroCount).toBe(10);
    // weights 2,2,1,1,4 (cumulative 2,4,5,6,10): rank 5 (p50) is 3, rank 9 (p90) is 100, within 1%
    expect(Math.abs(t.percentiles['50']! - 3) / 3).toBeLessThanOrEqual(0.01);
    expect(Math.abs(t.percentiles['90']! - 100) / 100).toBeLessThanOrEqual(0.01);
  });
});

describe('timestamped lines', () => {
  it('aggregate per series and timestamp within the interval', () => {
    const e = engine();
    feed(e, 'c:1|c|T1700000000', 'c:2|c|T1700000000', 'c:4|c|T1700000010', 'c:8|c|T1700000000|#k:v');
    const points = flush(e);
    expect(points).toHaveLength(3);
    const at = (t: number, tags: Record<string, string> = {}) =>
      points.filter((p) => p.timeMs === t * 1000 && JSON.stringify(p.tags) === JSON.stringify(tags));
    expect(at(1_700_000_000).map((p) => p.value)).toEqual([3]);
    expect(at(1_700_000_010).map((p) => p.value)).toEqual([4]);
    expect(at(1_700_000_000, { k: 'v' }).map((p) => p.value)).toEqual([8]);
  });

  it('never touch the live series', () => {
    const e = engine();
    feed(e, 'g:10|g', 'g:+5|g|T1700000000', 'c:1|c', 'c:100|c|T1700000000');
    const points = flush(e);
    expect(points).toHaveLength(4);
    const live = points.filter((p) => p.timeMs === 10_000);
    const stamped = points.filter((p) => p.timeMs === 1_700_000_000_000);
    expect(live.map((p) => `${p.name}=${p.value}`).sort()).toEqual(['c=1', 'g=10']);
    // The timestamped gauge delta starts from 0, not from the live gauge.
    expect(stamped.map((p) => `${p.name}=${p.value}`).sort()).toEqual(['c=100', 'g=5']);
    // The live gauge goes on; the timestamped datapoints are not repeated.
    expect(flush(e).map((p) => `${p.name}=${p.value}@${p.timeMs}`)).toEqual(['g=10@20000']);
  });

  it('work for every type, timers included', () => {
    const e = engine();
    feed(e, 't:1|ms|T1700000000', 't:3|ms|T1700000000', 's:a|s|T1700000000', 's:b|s|T1700000000');
    const out = byKind(flush(e));
    expect(out.timer!.timeMs).toBe(1_700_000_000_000);
    expect(out.timer!.timer).toMatchObject({ count: 2, sum: 4, min: 1, max: 3 });
    expect(out.set!.value).toBe(2);
  });

  it('keep their container', () => {
    const e = engine();
    feed(e, 'c:1|c|T1700000000|c:box');
    expect(flush(e)[0]).toMatchObject({ containerId: 'box', timeMs: 1_700_000_000_000 });
  });

  it('do not stay live after their flush', () => {
    const e = engine();
    feed(e, 'c:1|c|T1700000000', 'g:1|g|T1700000000');
    expect(e.aggregator.liveSeries).toBe(2);
    expect(flush(e)).toHaveLength(2);
    expect(e.aggregator.liveSeries).toBe(0);
    expect(flush(e)).toEqual([]);
  });
});

function byKind(points: ReturnType<typeof flush>) {
  return Object.fromEntries(points.map((p) => [p.kind, p]));
}

describe('idle series', () => {
  // idleTtl 30 s / flushInterval 10 s = 3 flushes.
  it('gauges are reported every flush until idle for the TTL, then freed', () => {
    const e = engine();
    feed(e, 'g:7|g');
    expect(e.aggregator.liveSeries).toBe(1);
    expect(flushOne(e).g!.value).toBe(7); // interval with the sample
    expect(flushOne(e).g!.value).toBe(7); // idle 1
    expect(flushOne(e).g!.value).toBe(7); // idle 2
    expect(flush(e)).toEqual([]); // idle 3 = TTL: freed
    expect(e.aggregator.liveSeries).toBe(0);
    expect(flush(e)).toEqual([]);
  });

  it('a delta after the gauge was freed starts from 0 again', () => {
    const e = engine();
    feed(e, 'g:50|g');
    for (let i = 0; i < 4; i++) flush(e);
    expect(e.aggregator.liveSeries).toBe(0);
    feed(e, 'g:+1|g');
    expect(flushOne(e).g!.value).toBe(1);
  });

  it('a gauge updated within the TTL stays', () => {
    const e = engine();
    feed(e, 'g:1|g');
    flush(e);
    flush(e);
    feed(e, 'g:+1|g');
    for (let i = 0; i < 3; i++) expect(flushOne(e).g!.value).toBe(2);
    expect(flush(e)).toEqual([]);
  });

  it('TTL in flushes is ceil(idleTtl / flushInterval)', () => {
    // 25 s / 10 s -> 3 flushes; 5 s / 10 s -> 1 flush (reported only with its sample).
    const e3 = engine({ idleTtlMs: 25_000 });
    feed(e3, 'g:1|g');
    expect([flush(e3), flush(e3), flush(e3), flush(e3)].map((p) => p.length)).toEqual([1, 1, 1, 0]);
    const e1 = engine({ idleTtlMs: 5_000 });
    feed(e1, 'g:1|g');
    expect([flush(e1), flush(e1)].map((p) => p.length)).toEqual([1, 0]);
    expect(e1.aggregator.liveSeries).toBe(0);
  });

  it('counters, timers and sets are freed once idle past the TTL', () => {
    const e = engine();
    feed(e, 'c:1|c', 't:1|ms', 's:a|s', 'c:1|c|#k:v', 'c:1|c|c:box');
    expect(e.aggregator.liveSeries).toBe(5);
    expect(flush(e)).toHaveLength(5);
    expect(flush(e)).toEqual([]);
    expect(flush(e)).toEqual([]);
    expect(e.aggregator.liveSeries).toBe(5);
    expect(flush(e)).toEqual([]);
    expect(e.aggregator.liveSeries).toBe(0);
  });

  it('a freed series comes back when it gets a sample again', () => {
    const e = engine();
    feed(e, 'c:1|c|#k:v');
    for (let i = 0; i < 4; i++) flush(e);
    expect(e.aggregator.liveSeries).toBe(0);
    feed(e, 'c:2|c|#k:v');
    expect(e.aggregator.liveSeries).toBe(1);
    expect(find(flush(e), 'c', { k: 'v' }).value).toBe(2);
  });
});

describe('cardinality caps', () => {
  it('past maxSeries a new series is dropped and counted; existing series go on', () => {
    const e = engine({ maxSeries: 3 });
    feed(e, 'a:1|c', 'b:1|c', 'c:1|c|#k:v', 'd:1|c', 'a:1|c', 'c:1|c|#k:w', 'e:1|g');
    expect(e.aggregator.liveSeries).toBe(3);
    expect(e.aggregator.dropped).toEqual({ cardinality_total: 3, cardinality_container: 0 });
    expect(rejects(e)).toEqual({});
    const points = flush(e);
    expect(points.map((p) => `${p.name}=${p.value}`).sort()).toEqual(['a=2', 'b=1', 'c=1']);
  });

  it('different kinds, tags and containers each count as a series', () => {
    const e = engine({ maxSeries: 4 });
    feed(e, 'x:1|c', 'x:1|g', 'x:1|c|#k:v', 'x:1|c|c:box', 'x:1|ms');
    expect(e.aggregator.liveSeries).toBe(4);
    expect(e.aggregator.dropped.cardinality_total).toBe(1);
  });

  it('after series are freed new ones are accepted again', () => {
    const e = engine({ maxSeries: 2 });
    feed(e, 'a:1|c', 'b:1|c', 'c:1|c');
    expect(e.aggregator.dropped.cardinality_total).toBe(1);
    for (let i = 0; i < 4; i++) flush(e);
    expect(e.aggregator.liveSeries).toBe(0);
    feed(e, 'c:1|c', 'd:1|c');
    expect(e.aggregator.liveSeries).toBe(2);
    expect(e.aggregator.dropped.cardinality_total).toBe(1);
    expect(
      flush(e)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['c', 'd']);
  });

  it("past maxSeriesPerContainer a container's new series are dropped, others go on", () => {
    const e = engine({ maxSeriesPerContainer: 2 });
    feedPacket(e, ['a:1|c', 'b:1|c', 'c:1|c', 'a:1|c'], 'noisy');
    feed(e, 'a:1|c|c:quiet', 'b:1|c|c:quiet', 'x:1|c', 'y:1|c', 'z:1|c');
    expect(e.aggregator.dropped).toEqual({ cardinality_total: 0, cardinality_container: 1 });
    expect(e.aggregator.liveSeries).toBe(7);
    const points = flush(e);
    expect(find(points, 'a', {}, 'noisy').value).toBe(2);
    expect(points.filter((p) => p.containerId === 'noisy')).toHaveLength(2);
    expect(points.filter((p) => p.containerId === 'quiet')).toHaveLength(2);
    // Lines without a container are not held to the per-container cap.
    expect(points.filter((p) => p.containerId === undefined)).toHaveLength(3);
  });

  it('a container can add series again once its old ones are freed', () => {
    const e = engine({ maxSeriesPerContainer: 1 });
    feed(e, 'a:1|c|c:box', 'b:1|c|c:box');
    expect(e.aggregator.dropped.cardinality_container).toBe(1);
    for (let i = 0; i < 4; i++) flush(e);
    feed(e, 'b:1|c|c:box');
    expect(flush(e)).toEqual([expect.objectContaining({ name: 'b', containerId: 'box' })]);
    expect(e.aggregator.dropped.cardinality_container).toBe(1);
  });

  it('the total cap is checked before the per-container cap', () => {
    const e = engine({ maxSeries: 1, maxSeriesPerContainer: 1 });
    feed(e, 'a:1|c|c:box', 'b:1|c|c:box', 'c:1|c|c:other');
    expect(e.aggregator.dropped).toEqual({ cardinality_total: 2, cardinality_container: 0 });
  });

  it('timestamped lines count against the caps until their flush', () => {
    const e = engine({ maxSeries: 2 });
    feed(e, 'a:1|c|T1700000000', 'a:1|c|T1700000001', 'b:1|c');
    expect(e.aggregator.dropped.cardinality_total).toBe(1);
    expect(flush(e)).toHaveLength(2);
    feed(e, 'b:1|c');
    expect(flush(e)).toHaveLength(1);
  });
});

describe('stdout JSON line format', () => {
  it('counter: name, kind, time_ms, tags, value, rate', () => {
    const e = engine();
    feed(e, 'req:5|c|#code:200');
    expect(JSON.parse(formatDatapoint(flush(e)[0]!))).toEqual({
      name: 'req',
      kind: 'counter',
      time_ms: 10_000,
      tags: { code: '200' },
      value: 5,
      rate: 0.5,
    });
  });

  it('timer: unit, container_id and the summary fields; approximate only when true', () => {
    const e = engine();
    feed(e, 'rt:1|ms|c:box', 'rt:3|ms|c:box');
    expect(JSON.parse(formatDatapoint(flush(e)[0]!))).toEqual({
      name: 'rt',
      kind: 'timer',
      time_ms: 10_000,
      tags: {},
      value: 2,
      unit: 'ms',
      container_id: 'box',
      count: 2,
      sum: 4,
      min: 1,
      max: 3,
      mean: 2,
      stddev: 1,
      percentiles: { '50': 1, '90': 3, '95': 3, '99': 3 },
    });
    const s = engine({ timerSampleCap: 1 });
    feed(s, 'h:1|h', 'h:2|h');
    const line = JSON.parse(formatDatapoint(flush(s)[0]!));
    expect(line.approximate).toBe(true);
    expect(line.unit).toBeUndefined();
  });

  it('gauge and set: no rate, no unit', () => {
    const e = engine();
    feed(e, 'g:1|g', 's:a|s');
    for (const p of flush(e)) {
      const line = JSON.parse(formatDatapoint(p));
      expect(Object.keys(line)).toEqual(['name', 'kind', 'time_ms', 'tags', 'value']);
    }
  });
});
