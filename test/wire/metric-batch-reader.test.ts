/**
 * readMetricBatch is a second decoder of the MetricBatch schema, written by hand for speed:
 * these tests hold it to the avsc path (SingleObjectDecoder, then metricBatchFromRecord) for
 * random batches, for every truncation, and for corrupted bytes, value for value and reason
 * for reason.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MessageDecoder } from '../../collector/sources/kafka/decode.js';
import { collectorTopics } from '../../collector/sources/kafka/topics.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { type MetricBatch, metricBatchFromRecord } from '../../lib/wire/datapoint-codec.js';
import { WireError, type WireErrorReason } from '../../lib/wire/errors.js';
import { READ_FOR, readMetricBatch } from '../../lib/wire/metric-batch-reader.js';
import { schemaCatalog } from '../../lib/wire/schemas.js';
import {
  SINGLE_OBJECT_HEADER_LENGTH,
  SingleObjectDecoder,
  singleObjectCodec,
  singleObjectHeader,
  singleObjectMetricBatchWriter,
} from '../../lib/wire/single-object.js';
import {
  avroLong as long,
  metricBatchArbitraries,
  plain,
  pointContainer,
} from './metric-batch-arbitraries.js';
import { sampleBatch } from './samples.js';

const { decoder } = singleObjectCodec('MetricBatch');
const writer = singleObjectMetricBatchWriter();
const header = singleObjectHeader(schemaCatalog().currentSchema('MetricBatch'));

type Outcome = { value: MetricBatch } | { reason: WireErrorReason };

function outcome(decode: () => MetricBatch): Outcome {
  try {
    return { value: decode() };
  } catch (error) {
    if (error instanceof WireError) return { reason: error.reason };
    throw error;
  }
}

/** What the collector got before the hand-written reader. */
const viaAvsc = (message: Buffer): Outcome => outcome(() => metricBatchFromRecord(decoder.decode(message)));
const viaReader = (message: Uint8Array): Outcome =>
  outcome(() => readMetricBatch(message, SINGLE_OBJECT_HEADER_LENGTH));

/**
 * The same outcome both ways. toStrictEqual does not see key order, freezing or sharing, so
 * those are compared too (JSON text for key order).
 */
function expectSameOutcome(message: Buffer, fromReader: Outcome = viaReader(message)): void {
  const fromAvsc = viaAvsc(message);
  expect(fromReader).toStrictEqual(fromAvsc);
  if (!('value' in fromReader) || !('value' in fromAvsc)) return;
  const batch = fromReader.value;
  expect(JSON.stringify(batch)).toBe(JSON.stringify(fromAvsc.value));
  const dimensions = batch.dimensions;
  expect(Object.isFrozen(dimensions)).toBe(Object.isFrozen(fromAvsc.value.dimensions));
  expect(Object.isFrozen(dimensions?.labels)).toBe(Object.isFrozen(fromAvsc.value.dimensions?.labels));
  for (const point of batch.datapoints) expect(point.dimensions).toBe(dimensions);
}

// Random batches: the generators of metric-batch-writer.test.ts, which cover every field.

/**
 * ASCII (the string cache), Unicode, lengths around the cache's and the varint's limits, and
 * a small alphabet whose strings often share a cache slot (same length, first and last bytes).
 */
const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 140 }),
  fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\u0080'), maxLength: 8 }),
);
const { pointFields, senderFields } = metricBatchArbitraries(text);

const pointArb = fc.record(pointFields, plain);

const batchArb: fc.Arbitrary<MetricBatch> = fc
  .record({ ...senderFields, points: fc.array(pointArb, { maxLength: 12 }) }, plain)
  .map(({ dimensions, points, ...sender }) => {
    const datapoints = points.map(({ containerId: own, rate, timer, ...required }) => {
      const point: Datapoint = required;
      const containerId = pointContainer(own, dimensions);
      if (containerId !== undefined) point.containerId = containerId;
      if (rate !== undefined) point.rate = rate;
      if (timer !== undefined) point.timer = timer;
      if (dimensions !== undefined) point.dimensions = dimensions;
      return point;
    });
    return dimensions === undefined ? { ...sender, datapoints } : { ...sender, dimensions, datapoints };
  });

// Hand-made datums, for what the writer never writes.

const string = (value: string): number[] => [...long(Buffer.byteLength(value)), ...Buffer.from(value)];
const double = (value: number): number[] => [...new Uint8Array(new Float64Array([value]).buffer)];
const message = (datum: number[]): Buffer => Buffer.concat([header, Buffer.from(datum)]);

/** agent_id, hostname, sent_ms, batch_id and null dimensions: what precedes the datapoints. */
const SENDER = [...string('agent'), ...string('host'), ...long(1_732_300_000_000), ...string('b-1'), 0];

/** Items as one block of -n items with its byte size, as other Avro writers may send them. */
function sizedBlock(items: number[][]): number[] {
  const bytes = items.flat();
  return [...long(-items.length), ...long(bytes.length), ...bytes];
}

/** A gauge up to its tags; then the given tags map and the rest (union branches). */
function point(tags: number[], rest: number[]): number[] {
  return [...string('n'), ...long(1), ...double(1.5), ...string('ms'), ...long(1000), ...tags, ...rest];
}

describe('readMetricBatch', () => {
  it('reads the schema the writer writes, and the one the collector reads into', () => {
    const current = schemaCatalog().currentSchema('MetricBatch');
    // When this fails, update lib/wire/metric-batch-reader.ts to the new schema, then READ_FOR.
    expect(READ_FOR.toString(16)).toBe(current.fingerprint.toString(16));
    expect(writer.schema.fingerprint).toBe(READ_FOR);
  });

  it('decodes random batches to what the avsc path decodes them to', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const encoded = writer.encode(batch);
        const decoded = viaReader(encoded);
        expect(decoded).toStrictEqual({ value: batch });
        expectSameOutcome(encoded, decoded);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes the sample batches, with and without dimensions, from a Uint8Array too', () => {
    for (const batch of [sampleBatch(), sampleBatch(null)]) {
      const encoded = writer.encode(batch);
      expectSameOutcome(encoded);
      expect(viaReader(encoded)).toStrictEqual({ value: batch });
      expect(viaReader(new Uint8Array(encoded))).toStrictEqual({ value: batch });
      // A datum in the middle of a larger buffer: offset and length are the view's.
      const inside = new Uint8Array(Buffer.concat([Buffer.alloc(7), encoded])).subarray(7);
      expect(viaReader(inside)).toStrictEqual({ value: batch });
    }
  });

  it('keeps "__proto__" keys as ordinary entries, as the avsc path does', () => {
    const tags: Record<string, string> = { a: '1' };
    Object.defineProperty(tags, '__proto__', {
      value: 'x',
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const batch = sampleBatch();
    const first = { ...batch.datapoints[0]!, tags };
    const encoded = writer.encode({ ...batch, datapoints: [first] });
    expectSameOutcome(encoded);
    const decoded = readMetricBatch(encoded, SINGLE_OBJECT_HEADER_LENGTH);
    expect(Object.entries(decoded.datapoints[0]!.tags)).toEqual([
      ['a', '1'],
      ['__proto__', 'x'],
    ]);
    expect(Object.getPrototypeOf(decoded.datapoints[0]!.tags)).toBe(Object.prototype);
  });

  it('refuses every truncation of a valid datum as truncated, as the avsc path does', () => {
    const encoded = writer.encode(sampleBatch());
    for (let length = SINGLE_OBJECT_HEADER_LENGTH; length < encoded.length; length++) {
      const cut = encoded.subarray(0, length);
      const decoded = viaReader(cut);
      expect(decoded, `${length} of ${encoded.length} bytes`).toStrictEqual({ reason: 'truncated' });
      expectSameOutcome(cut, decoded);
    }
  });

  it('refuses bytes after the datum as invalid_datum', () => {
    const encoded = Buffer.concat([writer.encode(sampleBatch()), Buffer.from([0])]);
    expect(viaReader(encoded)).toStrictEqual({ reason: 'invalid_datum' });
    expectSameOutcome(encoded);
  });

  it('agrees with the avsc path on corrupted batches, value for value and reason for reason', () => {
    const corruption = fc.record({
      batch: batchArb,
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xff)),
          op: fc.constantFrom('replace', 'insert', 'delete'),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(corruption, ({ batch, edits }) => {
        const bytes = [...writer.encode(batch).subarray(SINGLE_OBJECT_HEADER_LENGTH)];
        for (const { at, byte, op } of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (op === 'replace') bytes[i] = byte;
          else if (op === 'insert') bytes.splice(i, 0, byte);
          else bytes.splice(i, 1);
        }
        expectSameOutcome(message(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts sized blocks (a negative count, then the byte size) in every array and map', () => {
    const tags = [...sizedBlock([[...string('env'), ...string('prod')]]), ...long(1), ...string('a'), 0, 0];
    const sketch = [
      ...double(0.01),
      ...long(-3),
      ...sizedBlock([double(1), double(2)]),
      ...long(1),
      ...double(3),
      0,
      ...long(7),
      0,
      ...double(0),
    ];
    const timer = [
      ...[1, 2, 3, 4, 5, 6].flatMap(double),
      ...sizedBlock([[...string('50'), ...double(1)]]),
      0,
      1,
      2,
      ...sketch,
    ];
    const points = [point(tags, [0, 2, ...double(0.5), 2, ...timer]), point([0], [2, ...string('c1'), 0, 0])];
    const encoded = message([...SENDER, ...sizedBlock([points[0]!]), ...sizedBlock([points[1]!]), 0]);
    expectSameOutcome(encoded);
    const batch = readMetricBatch(encoded, SINGLE_OBJECT_HEADER_LENGTH);
    expect(batch.datapoints).toStrictEqual([
      {
        name: 'n',
        kind: 'gauge',
        value: 1.5,
        unit: 'ms',
        timeMs: 1000,
        tags: { env: 'prod', a: '' },
        rate: 0.5,
        timer: {
          count: 1,
          sum: 2,
          min: 3,
          max: 4,
          mean: 5,
          stddev: 6,
          percentiles: { '50': 1 },
          approximate: true,
          sketch: {
            relativeAccuracy: 0.01,
            positiveOffset: -3,
            positiveBins: [1, 2, 3],
            negativeOffset: 7,
            negativeBins: [],
            zeroCount: 0,
          },
        },
      },
      { name: 'n', kind: 'gauge', value: 1.5, unit: 'ms', timeMs: 1000, tags: {}, containerId: 'c1' },
    ]);
  });

  it('refuses block counts beyond the bytes left as truncated, without reading or allocating them', () => {
    const huge = long(2 ** 31);
    // Messages of 160 bytes, the rest zeros.
    const padding = (datum: number[]) => [...datum, ...new Array<number>(150 - datum.length).fill(0)];
    for (const datum of [
      padding([...SENDER, ...huge]),
      padding([...SENDER, ...long(-(2 ** 31)), ...long(2 ** 40)]),
      padding([...SENDER, 2, ...point(huge, [])]),
      padding([...SENDER, 2, ...point([0], [0, 0, 2, ...[1, 2, 3, 4, 5, 6].flatMap(double), ...huge])]),
      padding([
        ...SENDER,
        2,
        ...point([0], [0, 0, 2, ...[1, 2, 3, 4, 5, 6].flatMap(double), 0, 0, 2, ...double(0.01), 0, ...huge]),
      ]),
    ]) {
      const encoded = message(datum);
      const started = performance.now();
      expect(viaReader(encoded)).toStrictEqual({ reason: 'truncated' });
      expect(performance.now() - started).toBeLessThan(50);
      expectSameOutcome(encoded);
    }
    // The count itself is refused: the message says so, before any item is read.
    expect(() => readMetricBatch(message(padding([...SENDER, ...huge])), 10)).toThrow(
      /a block of 2147483648 items with \d+ bytes left/,
    );
  });

  it('refuses union and enum indexes out of range as invalid_datum', () => {
    const datums = [
      [...SENDER.slice(0, -1), ...long(2), 0], // dimensions: branch 2 of ["null", Dimensions]
      [...SENDER.slice(0, -1), ...long(-1), 0],
      [...SENDER, 2, ...point([0], [...long(2), 0, 0]), 0], // container_id
      [...SENDER, 2, ...point([0], [0, ...long(5), 0]), 0], // rate
      [...SENDER, 2, ...point([0], [0, 0, ...long(-1)]), 0], // timer
      [...SENDER, 2, ...string('n'), ...long(4), ...double(1), ...string(''), 0, 0, 0, 0, 0, 0], // kind 4
      [...SENDER, 2, ...string('n'), ...long(-1), ...double(1), ...string(''), 0, 0, 0, 0, 0, 0],
    ];
    for (const datum of datums) {
      const encoded = message(datum);
      expect(viaReader(encoded)).toStrictEqual({ reason: 'invalid_datum' });
      expectSameOutcome(encoded);
    }
    // The hand-made datums are valid with in-range indexes.
    expectSameOutcome(message([...SENDER, 2, ...point([0], [0, 0, 0]), 0]));
    expect(viaReader(message([...SENDER, 2, ...point([0], [0, 0, 0]), 0]))).toMatchObject({ value: {} });
  });

  it('judges a varint cut short by the end of the message by its value first, as avsc does', () => {
    const kindAt = [...SENDER, 2, ...string('n')];
    for (const [datum, reason] of [
      [[...SENDER.slice(0, -1), 0x83], 'invalid_datum'], // union index -2, continued past the end
      [[...SENDER.slice(0, -1), 0x80], 'truncated'], // union index 0 so far
      [[...kindAt, 0x89], 'invalid_datum'], // MetricKind index -5
      [[...kindAt, 0x84], 'truncated'], // MetricKind index 2 so far
      [[...string('a'), ...string('h'), ...new Array<number>(9).fill(0xff)], 'invalid_datum'], // sent_ms past 2^53
      [[...string('a'), ...string('h'), 0xff, 0xff], 'truncated'],
    ] as const) {
      const encoded = message([...datum]);
      expect(viaReader(encoded), Buffer.from(datum).toString('hex')).toStrictEqual({ reason });
      expectSameOutcome(encoded);
    }
  });

  it('reads longs as avsc does: exact to its safe range, refused beyond it', () => {
    for (const sentMs of [2 ** 53 - 2, -(2 ** 53) + 2, 2 ** 53 - 1, -(2 ** 53), 2 ** 60]) {
      const datum = [...string('a'), ...string('h'), ...long(sentMs), ...string('b'), 0, 0];
      expectSameOutcome(message(datum));
    }
    expect(
      viaReader(message([...string('a'), ...string('h'), ...long(2 ** 53), ...string('b'), 0, 0])),
    ).toStrictEqual({ reason: 'invalid_datum' });
    // Eleven bytes: far beyond 2^53, where avsc refuses the value rather than round it.
    const long11 = [...new Array<number>(10).fill(0xff), 0x01];
    expectSameOutcome(message([...string('a'), ...string('h'), ...long11, ...string('b'), 0, 0]));
  });

  it('refuses negative string lengths as avsc does (truncated)', () => {
    const encoded = message([...long(-2), ...SENDER]);
    expect(viaReader(encoded)).toStrictEqual({ reason: 'truncated' });
    expectSameOutcome(encoded);
  });

  it('decodes strings that share a cache slot each to its own bytes', () => {
    // Same length, first byte and last three bytes: one slot. Then raw bytes that are not
    // UTF-8, equal as bytes to the Latin-1 form of "aébcd" in that slot.
    const values = [
      'axxbcd',
      'ayybcd',
      'aébcd',
      'axxbcd',
      'a\u0080bcd',
      'ayybcd',
      'a',
      '',
      'c0ffee'.padEnd(64, '0'),
    ];
    const tags = [
      ...long(values.length),
      ...values.flatMap((value, i) => [...string(`k${i}`), ...string(value)]),
      0,
    ];
    const latin1 = [
      ...long(2),
      ...string('x'),
      10,
      0x61,
      0xe9,
      0x62,
      0x63,
      0x64,
      ...string('y'),
      ...string('aébcd'),
      0,
    ];
    for (let round = 0; round < 2; round++) {
      for (const map of [tags, latin1, tags]) {
        const encoded = message([...SENDER, 2, ...point(map, [0, 0, 0]), 0]);
        expectSameOutcome(encoded);
      }
    }
    const decoded = readMetricBatch(message([...SENDER, 2, ...point(latin1, [0, 0, 0]), 0]), 10);
    expect(decoded.datapoints[0]!.tags).toStrictEqual({ x: 'a\ufffdbcd', y: 'aébcd' });
  });
});

describe('MessageDecoder, on the metrics topic', () => {
  const topics = collectorTopics('corral.', '');
  const collector = new MessageDecoder({ topics });
  const decode = (value: Buffer) => collector.decode({ topic: topics.metrics, key: null, value });

  it('decodes current-schema messages with the hand-written reader, not avsc', async () => {
    const avsc = vi.spyOn(SingleObjectDecoder.prototype, 'decode');
    try {
      const batch = sampleBatch();
      const decoded = await decode(writer.encode(batch));
      expect(decoded).toStrictEqual({
        ok: true,
        record: {
          type: 'metrics',
          agentId: batch.agentId,
          batchId: batch.batchId,
          dimensions: batch.dimensions,
          datapoints: batch.datapoints,
        },
      });
      expect(avsc).not.toHaveBeenCalled();
      // Another version's fingerprint goes to avsc (which knows no such version here).
      const other = Buffer.from(writer.encode(batch));
      other[9]! ^= 1;
      expect(await decode(other)).toMatchObject({ ok: false, reason: 'unknown_fingerprint' });
      expect(avsc).toHaveBeenCalledTimes(1);
    } finally {
      avsc.mockRestore();
    }
  });

  it("gives the reader's failures the poison reasons of the avsc path, and still validates values", async () => {
    const valid = writer.encode(sampleBatch());
    const cases: [Buffer, string][] = [
      [valid.subarray(0, 40), 'truncated'],
      [message([...SENDER, ...long(2 ** 31), ...new Array<number>(20).fill(0)]), 'truncated'],
      [Buffer.concat([valid, Buffer.from([0])]), 'undecodable'],
      [message([...SENDER.slice(0, -1), ...long(2), 0]), 'undecodable'],
      [writer.encode({ ...sampleBatch(), batchId: '' }), 'invalid_value'],
    ];
    for (const [value, reason] of cases) {
      const decoded = await decode(value);
      expect(decoded).toMatchObject({ ok: false, reason });
      if (!decoded.ok)
        expect(decoded.detail).toMatch(reason === 'invalid_value' ? /batch_id/ : /^MetricBatch: /);
    }
  });
});
