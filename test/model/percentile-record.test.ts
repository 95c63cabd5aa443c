import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assignRecord, PercentileRecords, percentileRecordMaker } from '../../lib/model/percentile-record.js';

describe('percentileRecordMaker', () => {
  it('puts each value under its key, index-like keys and others alike', () => {
    const make = percentileRecordMaker(['50', '90', '99.9', '100']);
    const record = make([1.5, 2, 3.25, 4]);
    expect(record).toEqual({ '50': 1.5, '90': 2, '99.9': 3.25, '100': 4 });
    expect(Object.keys(record)).toEqual(['50', '90', '100', '99.9']);
    // A new object every time: records are handed out and kept.
    expect(make([7, 8, 9, 10])).not.toBe(record);
    expect(record['50']).toBe(1.5);
  });

  it('spells keys that are not identifiers safely', () => {
    const keys = ['a"b', "c'd", 'e\\f', '}); throw 1; ({', 'line\nbreak'];
    const record = percentileRecordMaker(keys)([1, 2, 3, 4, 5]);
    expect(Object.entries(record)).toEqual(keys.map((key, i) => [key, i + 1]));
  });

  it('keeps "__proto__" as a key, not the prototype', () => {
    const record = percentileRecordMaker(['50', '__proto__'])([1, 2]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.entries(record)).toEqual([
      ['50', 1],
      ['__proto__', 2],
    ]);
  });

  it('builds what the plain build builds', () => {
    const keys = ['50', '75', '90', '95', '99', '99.9'];
    const values = [1, 2, 3, 4, 5, 6];
    expect(percentileRecordMaker(keys)(values)).toEqual(assignRecord(keys, values));
  });
});

describe('PercentileRecords', () => {
  it('builds each key list right, the same list again and others between', () => {
    const records = new PercentileRecords();
    const keys = ['50', '99'];
    expect(records.make(keys, [1, 2])).toEqual({ '50': 1, '99': 2 });
    // The decoder refills the same arrays for the next map.
    keys[1] = '90';
    expect(records.make(keys, [3, 4])).toEqual({ '50': 3, '90': 4 });
    expect(records.make(['50', '99'], [5, 6])).toEqual({ '50': 5, '99': 6 });
    expect(records.make(['50\u000099'], [7])).toEqual({ '50\u000099': 7 });
    expect(records.make([], [])).toEqual({});
  });

  it('stays right past the makers it keeps', () => {
    const records = new PercentileRecords();
    for (let i = 0; i < 100; i++) {
      const keys = [String(i), `${i}.5`];
      expect(records.make(keys, [i, -i])).toEqual({ [String(i)]: i, [`${i}.5`]: -i });
    }
    expect(records.make(['0', '0.5'], [1, 2])).toEqual({ '0': 1, '0.5': 2 });
  });
});

describe('without code generation from strings', () => {
  it('builds the same records the plain way (node --disallow-code-generation-from-strings)', () => {
    // The compiled module, as the CLI runs it (npm run build).
    const module = pathToFileURL(join(import.meta.dirname, '../../dist/lib/model/percentile-record.js')).href;
    const script = [
      `const { percentileRecordMaker } = await import(${JSON.stringify(module)});`,
      "console.log(JSON.stringify(percentileRecordMaker(['50', '99.9'])([1, 2])));",
    ].join('\n');
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ '50': 1, '99.9': 2 });
  });
});
