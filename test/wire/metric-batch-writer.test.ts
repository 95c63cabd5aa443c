/**
 * MetricBatchWriter is a second encoder of the MetricBatch schema, written by hand for speed:
 * these tests hold it to avsc's bytes for random batches, and to exact round trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Datapoint, MetricKind, TimerSummary } from '../../lib/model/datapoint.js';
import {
  type MetricBatch,
  metricBatchFromRecord,
  metricBatchToRecord,
} from '../../lib/wire/datapoint-codec.js';
import { MetricBatchWriter } from '../../lib/wire/metric-batch-writer.js';
import { schemaCatalog } from '../../lib/wire/schemas.js';
import { singleObjectCodec, singleObjectHeader } from '../../lib/wire/single-object.js';
import { avroLong, metricBatchArbitraries, plain, pointContainer } from './metric-batch-arbitraries.js';
import { containerDimensions, sampleBatch } from './samples.js';

const { encoder, decoder } = singleObjectCodec('MetricBatch');
/** Buffers compared as hex: much faster than deep equality, and a readable diff. */
const hex = (bytes: Buffer): string => bytes.toString('hex');
const schema = schemaCatalog().currentSchema('MetricBatch');
const header = singleObjectHeader(schema);

/** ASCII (the fast path), Unicode (the Buffer path), and lengths around the 1- and 2-byte length prefixes. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 140 }),
);
const { pointFields, senderFields } = metricBatchArbitraries(text);

interface PointDraft {
  name: string;
  kind: MetricKind;
  value: number;
  unit: string;
  timeMs: number;
  tags: Record<string, string>;
  /** Reuse the previous datapoint's tags object, as datapoints of a container may. */
  sharesTags: boolean;
  containerId: string | undefined;
  rate: number | undefined;
  timer: TimerSummary | undefined;
}

const pointArb: fc.Arbitrary<PointDraft> = fc.record({ ...pointFields, sharesTags: fc.boolean() }, plain);

const batchArb: fc.Arbitrary<MetricBatch> = fc
  .record({ ...senderFields, points: fc.array(pointArb, { maxLength: 12 }) }, plain)
  .map(({ dimensions, points, ...sender }) => {
    const datapoints: Datapoint[] = [];
    for (const draft of points) {
      const previous = datapoints.at(-1);
      const tags = draft.sharesTags && previous !== undefined ? previous.tags : draft.tags;
      const point: Datapoint = {
        name: draft.name,
        kind: draft.kind,
        value: draft.value,
        unit: draft.unit,
        timeMs: draft.timeMs,
        tags,
      };
      const containerId = pointContainer(draft.containerId, dimensions);
      if (containerId !== undefined) point.containerId = containerId;
      if (draft.rate !== undefined) point.rate = draft.rate;
      if (draft.timer !== undefined) point.timer = draft.timer;
      if (dimensions !== undefined) point.dimensions = dimensions;
      datapoints.push(point);
    }
    return dimensions === undefined ? { ...sender, datapoints } : { ...sender, dimensions, datapoints };
  });

describe('MetricBatchWriter', () => {
  it('writes the bytes avsc writes, for random batches', () => {
    // A small, random initial buffer makes it grow at arbitrary points: a write that did not
    // reserve its bytes first would land past the end and change the output.
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 512 }), (batch, initialSize) => {
        const writer = new MetricBatchWriter(schema, header, initialSize);
        expect(hex(writer.encode(batch))).toBe(hex(encoder.encode(metricBatchToRecord(batch))));
      }),
      { numRuns: 500 },
    );
  });

  it('round trips random batches exactly', () => {
    const writer = new MetricBatchWriter(schema, header);
    fc.assert(
      fc.property(batchArb, (batch) => {
        expect(metricBatchFromRecord(decoder.decode(writer.encode(batch)))).toStrictEqual(batch);
      }),
      { numRuns: 300 },
    );
  });

  it('grows its buffer for batches larger than it', () => {
    const writer = new MetricBatchWriter(schema, header, 16);
    const batch = {
      ...sampleBatch(),
      datapoints: Array.from({ length: 50 }, () => sampleBatch().datapoints).flat(),
    };
    expect(writer.encode(batch)).toEqual(encoder.encode(metricBatchToRecord(batch)));
    expect(writer.encode(sampleBatch())).toEqual(encoder.encode(metricBatchToRecord(sampleBatch())));
  });

  it('writes the safe-integer extremes exactly (zig-zag varints checked against BigInt)', () => {
    const writer = new MetricBatchWriter(schema, Buffer.alloc(0));
    for (const value of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -(2 ** 52) - 1, 2 ** 53 - 2]) {
      const bytes = writer.encode({ agentId: '', hostname: '', sentMs: value, batchId: '', datapoints: [] });
      const expected = avroLong(value);
      // agent_id and hostname are empty strings (one byte each), then sent_ms.
      expect([...bytes.subarray(2, 2 + expected.length)]).toEqual(expected);
    }
  });

  it('writes strings longer than the ASCII fast path handles', () => {
    const writer = new MetricBatchWriter(schema, header);
    const batch = { ...sampleBatch(), batchId: 'x'.repeat(10_000), agentId: `é${'y'.repeat(9000)}` };
    expect(writer.encode(batch)).toEqual(encoder.encode(metricBatchToRecord(batch)));
  });

  it('accepts datapoints whose dimensions are an equal copy of the batch dimensions', () => {
    const writer = new MetricBatchWriter(schema, header);
    const batch = sampleBatch();
    const point = {
      ...batch.datapoints[0]!,
      dimensions: { ...containerDimensions, labels: { ...containerDimensions.labels } },
    };
    const copied = { ...batch, datapoints: [point, ...batch.datapoints.slice(1)] };
    expect(writer.encode(copied)).toEqual(writer.encode(batch));
  });

  it("writes a datapoint's container id only when the batch's dimensions do not already say it", () => {
    const writer = new MetricBatchWriter(schema, header);
    const batch = sampleBatch();
    const id = containerDimensions.container_id!;
    const points = batch.datapoints;
    expect(points.every((point) => point.containerId === id)).toBe(true);
    const other = 'f'.repeat(id.length);
    const oneElsewhere = {
      ...batch,
      datapoints: [{ ...points[0]!, containerId: other }, ...points.slice(1)],
    };
    // The other container's id costs its length and its bytes; the batch's costs nothing (the
    // union's branch byte is written either way).
    expect(writer.encode(oneElsewhere).length - writer.encode(batch).length).toBe(
      avroLong(other.length).length + other.length,
    );
    const decoded = metricBatchFromRecord(decoder.decode(writer.encode(oneElsewhere)));
    expect(decoded.datapoints.map((point) => point.containerId)).toEqual([
      other,
      ...points.slice(1).map(() => id),
    ]);
    // Written through the records (avsc) too: the same bytes.
    expect(writer.encode(oneElsewhere)).toEqual(encoder.encode(metricBatchToRecord(oneElsewhere)));
    // A datapoint of the batch that names no container is read as the batch's.
    const unnamed = { ...batch, datapoints: [{ ...points[1]!, containerId: undefined }] };
    expect(metricBatchFromRecord(decoder.decode(writer.encode(unnamed))).datapoints[0]!.containerId).toBe(id);
  });

  it('refuses datapoints with other dimensions than the batch, and recovers for the next batch', () => {
    const writer = new MetricBatchWriter(schema, header);
    const batch = sampleBatch();
    const stray = { ...batch.datapoints[1]!, dimensions: { ...containerDimensions, task_id: 'other' } };
    const mixed = { ...batch, datapoints: [batch.datapoints[0]!, stray] };
    expect(() => writer.encode(mixed)).toThrow(/datapoint 1 \(memory\.usage_bytes\) has other dimensions/);
    expect(() => metricBatchToRecord(mixed)).toThrow(/datapoint 1/);
    const undimensioned = { ...batch, datapoints: [{ ...batch.datapoints[0]!, dimensions: undefined }] };
    expect(() => writer.encode(undimensioned)).toThrow(/other dimensions/);
    expect(writer.encode(batch)).toEqual(encoder.encode(metricBatchToRecord(batch)));
  });

  it('refuses values the schema cannot carry instead of writing garbage', () => {
    const writer = new MetricBatchWriter(schema, header);
    const batch = sampleBatch();
    const point = batch.datapoints[0]!;
    expect(() => writer.encode({ ...batch, sentMs: 1.5 })).toThrow(/sentMs: 1.5 is not a safe integer/);
    expect(() => writer.encode({ ...batch, datapoints: [{ ...point, timeMs: 2 ** 60 }] })).toThrow(/timeMs/);
    const kind = 'histogram' as MetricKind;
    expect(() => writer.encode({ ...batch, datapoints: [{ ...point, kind }] })).toThrow(
      /unknown kind histogram/,
    );
    const timer = batch.datapoints[3]!.timer!;
    const sketch = { ...timer.sketch!, positiveOffset: 2 ** 31 };
    const wide = { ...batch.datapoints[3]!, timer: { ...timer, sketch } };
    expect(() => writer.encode({ ...batch, datapoints: [wide] })).toThrow(
      /positiveOffset: 2147483648 is not a 32-bit integer/,
    );
  });

  it('is built for one schema version and says what to update when the schema changes', () => {
    const events = schemaCatalog().currentSchema('TaskEvent');
    expect(() => new MetricBatchWriter(events, header)).toThrow(/update lib\/wire\/metric-batch-writer\.ts/);
    const other = { ...schema, fingerprint: schema.fingerprint ^ 1n };
    expect(() => new MetricBatchWriter(other, header)).toThrow(/update lib\/wire\/metric-batch-writer\.ts/);
  });
});
