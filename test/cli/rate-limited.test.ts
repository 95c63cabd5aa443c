import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';

/** A logger capturing its JSON lines, and a clock the test moves by hand. */
function setup(intervalMs?: number) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const clock = { now: 0 };
  const log = new RateLimitedLog(pino({ level: 'info', base: null, timestamp: false }, stream), {
    now: () => clock.now,
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
  return { lines, clock, log };
}

describe('RateLimitedLog', () => {
  it('logs the first occurrence at once and then at most once per 10s per reason', () => {
    const { lines, clock, log } = setup();
    log.warn('bad_line', { line: 'a' }, 'rejected StatsD line');
    for (let i = 0; i < 5; i++) log.warn('bad_line', { line: `b${i}` }, 'rejected StatsD line');
    clock.now = 9_999;
    log.warn('bad_line', { line: 'c' }, 'rejected StatsD line');
    expect(lines).toEqual([{ level: 40, reason: 'bad_line', line: 'a', msg: 'rejected StatsD line' }]);

    clock.now = 10_000;
    log.warn('bad_line', { line: 'd' }, 'rejected StatsD line');
    expect(lines[1]).toEqual({
      level: 40,
      reason: 'bad_line',
      line: 'd',
      suppressed: 6,
      msg: 'rejected StatsD line',
    });

    // The count restarts after each line; an occurrence after a quiet interval has nothing suppressed.
    clock.now = 30_000;
    log.warn('bad_line', { line: 'e' }, 'rejected StatsD line');
    expect(lines[2]).toEqual({ level: 40, reason: 'bad_line', line: 'e', msg: 'rejected StatsD line' });
  });

  it('limits each reason separately, for warn and error', () => {
    const { lines, log } = setup();
    log.warn('a', {}, 'first a');
    log.error('b', {}, 'first b');
    log.warn('a', {}, 'second a');
    log.error('b', {}, 'second b');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'first a'],
      [50, 'first b'],
    ]);
  });

  it('honours a custom interval', () => {
    const { lines, clock, log } = setup(100);
    log.warn('a', {}, 'x');
    clock.now = 50;
    log.warn('a', {}, 'x');
    clock.now = 100;
    log.warn('a', {}, 'x');
    expect(lines.map((line) => line.suppressed)).toEqual([undefined, 1]);
  });

  it('does not build lazy fields for suppressed occurrences', () => {
    const { lines, log } = setup();
    let built = 0;
    const fields = () => {
      built++;
      return { line: 'x' };
    };
    for (let i = 0; i < 1000; i++) log.warn('flood', fields, 'rejected');
    expect(built).toBe(1);
    expect(lines).toEqual([{ level: 40, reason: 'flood', line: 'x', msg: 'rejected' }]);
  });
});
