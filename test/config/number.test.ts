import { describe, expect, it } from 'vitest';
import { parseInteger, parseList, parseNumber } from '../../lib/config/number.js';

describe('parseInteger', () => {
  it('parses decimal text and integers', () => {
    expect(parseInteger('42')).toBe(42);
    expect(parseInteger('-7')).toBe(-7);
    expect(parseInteger(1024)).toBe(1024);
  });

  it.each([[''], [' 1'], ['12abc'], ['1.0'], ['1e3'], ['0x10'], ['9007199254740993'], [1.5], [null], [true]])(
    'rejects %j',
    (value) => {
      expect(() => parseInteger(value)).toThrow('expected an integer');
    },
  );
});

describe('parseNumber', () => {
  it('parses decimal text and numbers', () => {
    expect(parseNumber('99.9')).toBe(99.9);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1e2')).toBe(100);
    expect(parseNumber(50)).toBe(50);
  });

  it.each([[''], ['12abc'], ['Infinity'], ['NaN'], ['1,5'], [Number.NaN], [null]])('rejects %j', (value) => {
    expect(() => parseNumber(value)).toThrow('expected a number');
  });
});

describe('parseList', () => {
  it('splits comma-separated text and trims items', () => {
    expect(parseList('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(parseList('')).toEqual([]);
  });

  it('passes arrays through', () => {
    expect(parseList([1, 2])).toEqual([1, 2]);
  });

  it('rejects empty items and other types', () => {
    expect(() => parseList('a,,b')).toThrow('without empty items');
    expect(() => parseList(5)).toThrow('expected a comma-separated list');
  });
});
