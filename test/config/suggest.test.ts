import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../lib/config/suggest.js';

describe('suggestions', () => {
  it('measures edit distance case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flushInterval', 'flushinterval')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest candidate only when it is close', () => {
    const keys = ['statsd.flushInterval', 'statsd.idleTtl', 'log.level'];
    expect(closest('statsd.flushIntervl', keys)).toBe('statsd.flushInterval');
    expect(closest('log.levl', keys)).toBe('log.level');
    expect(closest('statsd.somethingElse', keys)).toBeUndefined();
  });
});
