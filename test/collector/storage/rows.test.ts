/** The rows builder and its text helpers, without an engine. */
import { describe, expect, test } from 'vitest';
import { dedupToken } from '../../../collector/sinks/clickhouse/dedup-token.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { quotedString, stringMap, tsvString, tsvTime } from '../../../collector/sinks/clickhouse/tsv.js';
import { withoutLowCardinality } from '../../../collector/storage/input-structure.js';
import { BASE_MS, metrics, point, taskEvent } from './records.js';

describe('TabSeparated text', () => {
  test('strings: backslash, tab, line feed and carriage return escaped; the rest as is', () => {
    expect(tsvString('plain ünï ✓')).toBe('plain ünï ✓');
    expect(tsvString("a\tb\nc\rd\\e'f")).toBe("a\\tb\\nc\\rd\\\\e'f");
  });

  test('map literals: quoted keys and values, quote escaped too', () => {
    expect(quotedString("it's")).toBe("'it\\'s'");
    expect(stringMap({ 'k\t': 'v\n', q: "'" })).toBe("{'k\\t':'v\\n','q':'\\''}");
    expect(stringMap({})).toBe('{}');
    expect(stringMap(undefined)).toBe('{}');
  });

  test('times: seconds and milliseconds', () => {
    expect(tsvTime(1_700_000_000_123)).toBe('1700000000.123');
    expect(tsvTime(1_700_000_000_005)).toBe('1700000000.005');
    expect(tsvTime(1_700_000_000_050.4)).toBe('1700000000.050');
    expect(tsvTime(0)).toBe('0.000');
  });
});

describe('RowsBuilder', () => {
  test('one payload per table with rows, rows counted, newline-terminated; reset empties it', () => {
    const builder = new RowsBuilder();
    builder.add(metrics([point('a', 'gauge', 1, BASE_MS), point('b', 'counter', 2, BASE_MS, { rate: 0.2 })]));
    builder.add(taskEvent('failed', BASE_MS));
    const payloads = builder.payloads();
    expect(payloads.map((p) => [p.table, p.rows, p.format])).toEqual([
      ['datapoints', 2, 'TabSeparated'],
      ['task_events', 1, 'TabSeparated'],
    ]);
    for (const payload of payloads) {
      const text = payload.data.toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(text.split('\n')).toHaveLength(payload.rows + 1);
      for (const line of text.slice(0, -1).split('\n'))
        expect(line.split('\t')).toHaveLength(payload.columns!.length);
    }
    expect(builder.rows).toBe(3);
    expect(builder.size).toBeGreaterThan(0);
    builder.reset();
    expect(builder.rows).toBe(0);
    expect(builder.payloads()).toEqual([]);
  });

  test('large batches keep every row whole across the internal chunks', () => {
    const builder = new RowsBuilder();
    const points = Array.from({ length: 5000 }, (_, i) =>
      point(`metric.${i}`, 'gauge', i, BASE_MS, { tags: { long: 'x'.repeat(i % 97), uni: 'ü✓' } }),
    );
    builder.add(metrics(points));
    const [payload] = builder.payloads();
    expect(payload!.data.length).toBeGreaterThan(3 * 64 * 1024);
    const lines = payload!.data.toString('utf8').slice(0, -1).split('\n');
    expect(lines).toHaveLength(5000);
    expect(lines.map((l) => l.split('\t')[1])).toEqual(points.map((p) => p.name));
    expect(builder.size).toBeGreaterThanOrEqual(payload!.data.toString('utf8').length - 5000 * 4);
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
