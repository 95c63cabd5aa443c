import { describe, expect, it } from 'vitest';
import { parseSize } from '../../lib/config/size.js';

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['65535', 65_535],
    ['512B', 512],
    ['10KB', 10_000],
    ['10kb', 10_000],
    ['64KiB', 65_536],
    ['16MiB', 16_777_216],
    ['1GiB', 1_073_741_824],
    ['2MB', 2_000_000],
    ['1.5KiB', 1_536],
  ])('parses %s as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('accepts non-negative integers from YAML/JSON', () => {
    expect(parseSize(0)).toBe(0);
    expect(parseSize(4096)).toBe(4096);
  });

  it.each([[''], ['abc'], ['-1'], ['1.5'], ['12abc'], ['10 KiB'], ['1.1B'], ['KiB'], ['10XB']])(
    'rejects %j',
    (text) => {
      expect(() => parseSize(text)).toThrow(/^expected a size in bytes/);
    },
  );

  it.each([[-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [null], [true]])('rejects %j', (value) => {
    expect(() => parseSize(value)).toThrow(/^expected a size in bytes/);
  });
});
