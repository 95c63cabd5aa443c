/** The rows builder and its Native writer, without an engine (round-trip.test.ts has the engine). */
import { describe, expect, test } from 'vitest';
import { dedupToken } from '../../../collector/sinks/clickhouse/dedup-token.js';
import { writeBlock } from '../../../collector/sinks/clickhouse/native/block.js';
import { ByteWriter } from '../../../collector/sinks/clickhouse/native/byte-writer.js';
import {
  BinsMapColumn,
  DateTime64Column,
  Float64Column,
  LowCardinalityColumn,
  NullableColumn,
  StringMapColumn,
  UInt8Column,
} from '../../../collector/sinks/clickhouse/native/columns.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { withoutLowCardinality } from '../../../collector/storage/input-structure.js';
import { BASE_MS, metrics, point, taskEvent } from './records.js';

/**
 * What ClickHouse 26.7 itself wrote for (the integers taken as seconds, so the times are
 * 1,700,000,000,123,000 ms and on)
 *   SELECT * FROM values('t DateTime64(3), n LowCardinality(String), r Nullable(Float64),
 *     m Map(LowCardinality(String), String), b Bool, k Map(Int32, Float64)',
 *     (1700000000123, 'ab', NULL, map('x','1','y','2'), true, map(3, 1.5)),
 *     (1700000000124, 'cd', 2.5, map(), false, map()),
 *     (1700000000125, 'ab', 3, map('x','9'), true, map(-1,2.0,4,3.0))) FORMAT Native
 */
const CLICKHOUSE_BLOCK = [
  '060301740d4461746554696d65363428332978202018240a060060242018240a',
  '060048282018240a0600016e164c6f7743617264696e616c6974792853747269',
  '6e67290100000000000000000600000000000003000000000000000002616202',
  '636403000000000000000102010172114e756c6c61626c6528466c6f61743634',
  '29010000000000000000000000000000000004400000000000000840016d234d',
  '6170284c6f7743617264696e616c69747928537472696e67292c20537472696e',
  '6729010000000000000002000000000000000200000000000000030000000000',
  '0000000600000000000003000000000000000001780179030000000000000001',
  '0201013101320139016204426f6f6c010001016b134d617028496e7433322c20',
  '466c6f6174363429010000000000000001000000000000000300000000000000',
  '03000000ffffffff04000000000000000000f83f000000000000004000000000',
  '00000840',
].join('');

describe('Native writer', () => {
  test('writes the bytes ClickHouse writes for the same block', () => {
    const t = new DateTime64Column();
    const n = new LowCardinalityColumn();
    const r = new NullableColumn(new Float64Column());
    const m = new StringMapColumn(new ByteWriter());
    const b = new UInt8Column('Bool');
    const k = new BinsMapColumn();
    const rows: [number, string, number | undefined, Record<string, string>, boolean, Map<number, number>][] =
      [
        [1_700_000_000_123_000, 'ab', undefined, { x: '1', y: '2' }, true, new Map([[3, 1.5]])],
        [1_700_000_000_124_000, 'cd', 2.5, {}, false, new Map()],
        [
          1_700_000_000_125_000,
          'ab',
          3,
          { x: '9' },
          true,
          new Map([
            [-1, 2],
            [4, 3],
          ]),
        ],
      ];
    for (const [time, name, rate, map, bool, bins] of rows) {
      t.add(time);
      n.add(name);
      r.add(rate);
      m.add(map);
      b.add(bool);
      k.addSparse(bins);
    }
    const out = new ByteWriter(16);
    const columns = { t, n, r, m, b, k };
    writeBlock(
      out,
      Object.entries(columns).map(([name, column]) => ({ name, column })),
      3,
    );
    expect(out.bytes().toString('hex')).toBe(CLICKHOUSE_BLOCK);
  });

  test('string lengths take one, two or three bytes; UTF-8 is counted in bytes', () => {
    const out = new ByteWriter(4);
    out.string('ü'.repeat(63)); // 126 bytes
    out.string('x'.repeat(128));
    out.string('✓'.repeat(6000)); // 18,000 bytes
    const bytes = out.bytes();
    expect(bytes[0]).toBe(126);
    expect([...bytes.subarray(127, 129)]).toEqual([0x80, 0x01]);
    expect(bytes.subarray(129, 257).toString()).toBe('x'.repeat(128));
    expect([...bytes.subarray(257, 260)]).toEqual([0xd0, 0x8c, 0x01]);
    expect(bytes.subarray(260).toString()).toBe('✓'.repeat(6000));
  });

  test('LowCardinality indexes widen from 8 to 16 to 32 bits as the dictionary grows', () => {
    const flags = (distinct: number) => {
      const column = new LowCardinalityColumn();
      for (let i = 1; i < distinct; i++) column.add(`v${i}`);
      const out = new ByteWriter();
      column.writeData(out);
      return { flags: out.bytes().readUInt32LE(0), keys: out.bytes().readUInt32LE(8) };
    };
    expect(flags(256)).toEqual({ flags: 0x600, keys: 256 });
    expect(flags(257)).toEqual({ flags: 0x601, keys: 257 });
    expect(flags(70_000)).toEqual({ flags: 0x602, keys: 70_000 });
  });

  test('a block refuses a column short of a row', () => {
    const t = new DateTime64Column();
    t.add(1);
    expect(() => writeBlock(new ByteWriter(), [{ name: 't', column: t }], 2)).toThrow(/column t has 1 rows/);
  });
});

describe('RowsBuilder', () => {
  test('one Native payload per table with rows, rows counted; reset empties it', () => {
    const builder = new RowsBuilder();
    builder.add(metrics([point('a', 'gauge', 1, BASE_MS), point('b', 'counter', 2, BASE_MS, { rate: 0.2 })]));
    builder.add(taskEvent('failed', BASE_MS));
    const payloads = builder.payloads();
    expect(payloads.map((p) => [p.table, p.rows, p.format])).toEqual([
      ['datapoints', 2, 'Native'],
      ['task_events', 1, 'Native'],
    ]);
    for (const payload of payloads) {
      // Column count, then row count, as varints.
      expect([payload.data[0], payload.data[1]]).toEqual([payload.columns!.length, payload.rows]);
    }
    expect(builder.rows).toBe(3);
    builder.reset();
    expect(builder.rows).toBe(0);
    expect(builder.payloads()).toEqual([]);
  });
});

test('dedupToken: ranges sorted, part numbered', () => {
  const a = { topic: 'corral.metrics', partition: 1, fromOffset: '10', toOffset: '20' };
  const b = { topic: 'corral.events', partition: 0, fromOffset: '5', toOffset: '5' };
  expect(dedupToken([a, b])).toBe('corral.events/0:5-5,corral.metrics/1:10-20');
  expect(dedupToken([b, a], 2)).toBe('corral.events/0:5-5,corral.metrics/1:10-20#2');
  expect(() => dedupToken([])).toThrow();
});

test('withoutLowCardinality takes LowCardinality off at any depth', () => {
  expect(withoutLowCardinality('LowCardinality(String)')).toBe('String');
  expect(withoutLowCardinality('Map(LowCardinality(String), String)')).toBe('Map(String, String)');
  expect(withoutLowCardinality('LowCardinality(Nullable(String))')).toBe('Nullable(String)');
  expect(withoutLowCardinality('Array(Map(LowCardinality(String), LowCardinality(String)))')).toBe(
    'Array(Map(String, String))',
  );
  expect(withoutLowCardinality('DateTime64(3)')).toBe('DateTime64(3)');
});
