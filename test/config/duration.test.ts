import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../lib/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h1m1s1ms', 3_661_001],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0s', 0],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([['10'], [''], ['abc'], ['10 s'], ['-1s'], ['1.s'], ['.5s'], ['s'], ['10sec'], ['1m 30s'], ['1S']])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow('expected a duration like 10s, 500ms or 1m');
    },
  );

  it('rejects bare numbers and other types', () => {
    for (const value of [10, null, undefined, true, ['10s']]) {
      expect(() => parseDuration(value)).toThrow('expected a duration like 10s, 500ms or 1m');
    }
  });
});
