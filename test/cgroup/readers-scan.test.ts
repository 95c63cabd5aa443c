import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCgroupV2 } from '../../agent/sources/cgroup/readers/container.js';
import { CGROUP_FIELDS } from '../../agent/sources/cgroup/readers/fields.js';
import {
  Key,
  keyedUint,
  lineField,
  parseDecimal,
  parseUint,
  readKeyed,
} from '../../agent/sources/cgroup/readers/scan.js';

describe('number parsing', () => {
  it('parseUint takes digits only', () => {
    const cases = ['0', '123456789', '9007199254740991', '', '-1', '1e9', '12k', ' 1', '1 '];
    expect(cases.map((t) => parseUint(t, 0, t.length))).toEqual([
      0,
      123456789,
      9007199254740991,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });

  it('parseDecimal takes a sign and a fraction, and gives the exact double', () => {
    const cases = ['1.82', '0.00', '-1', '100000', '8.42', '.', '1.', '-', '1.2.3', 'max'];
    expect(cases.map((t) => parseDecimal(t, 0, t.length))).toEqual([
      1.82,
      0,
      -1,
      100000,
      8.42,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });
});

describe('keyed files', () => {
  const text = 'total_inactive_file 5\ninactive_file 7\nanon_thp 1\nanon 2\n';

  it('matches whole keys only, on the first line or later', () => {
    expect(keyedUint(text, new Key('inactive_file'))).toBe(7);
    expect(keyedUint(text, new Key('total_inactive_file'))).toBe(5);
    expect(keyedUint(text, new Key('anon'))).toBe(2);
    expect(keyedUint(text, new Key('file'))).toBeUndefined();
    expect(keyedUint('anon x\n', new Key('anon'))).toBeNaN();
  });

  it('readKeyed: required keys must be there, optional ones may not', () => {
    const out: (number | undefined)[] = [];
    expect(readKeyed(text, [new Key('anon'), new Key('nope')], 1, out)).toBe(true);
    expect(out).toEqual([2, undefined]);
    expect(readKeyed(text, [new Key('nope'), new Key('anon')], 1, out)).toBe(false);
    expect(readKeyed('anon 1\nfile 2x\n', [new Key('anon'), new Key('file')], 1, out)).toBe(false);
  });

  it('lineField finds a field only where a token starts, and only on its line', () => {
    const line = 'x xrbytes=9 rbytes=4 wbytes=5\n8:1 rios=3';
    const end = line.indexOf('\n');
    expect(lineField(line, 'rbytes=', 0, end)).toBe(4);
    expect(lineField(line, 'rios=', 0, end)).toBeUndefined();
    expect(lineField(line, 'rios=', end + 1, line.length)).toBe(3);
  });
});

describe('CGROUP_FIELDS', () => {
  it('names exactly the fields a v2 reading fills (devices and source aside), plus the net ones', async () => {
    const normal = fileURLToPath(new URL('../fixtures/cgroup-files/v2/normal', import.meta.url));
    const { stats } = await readCgroupV2(normal);
    const names: string[] = [];
    const walk = (prefix: string, value: unknown) => {
      if (typeof value === 'number') names.push(prefix);
      else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(prefix === '' ? k : `${prefix}.${k}`, v);
      }
    };
    walk('', stats);
    const cgroupNames = CGROUP_FIELDS.map((f) => f.name).filter((n) => !n.startsWith('net.'));
    expect(names.sort()).toEqual([...cgroupNames].sort());
    expect(CGROUP_FIELDS.filter((f) => f.name.startsWith('net.')).length).toBe(8);
    expect(new Set(CGROUP_FIELDS.map((f) => f.name)).size).toBe(CGROUP_FIELDS.length);
  });

  it('gives every field a unit, a v2 source and a description; v1 has none only for PSI', () => {
    for (const f of CGROUP_FIELDS) {
      expect([f.name, f.v2 !== '', f.description !== ''].join()).toBe(`${f.name},true,true`);
      expect([f.name, f.v1 === '']).toEqual([f.name, f.name.startsWith('pressure.')]);
    }
    expect(CGROUP_FIELDS.find((f) => f.name === 'memory.workingSet')?.unit).toBe('bytes');
    expect(CGROUP_FIELDS.find((f) => f.name === 'cpu.limit')?.unit).toBe('cores');
  });
});
