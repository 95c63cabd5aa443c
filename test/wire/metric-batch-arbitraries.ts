/**
 * fast-check generators of MetricBatch parts, shared by the hand-written writer's and reader's
 * tests: every field, optional ones present and absent. Built around the caller's strings, so
 * each test can aim at its own code's edges (the writer's fast paths, the reader's cache).
 */
import fc from 'fast-check';
import type { MetricKind, TimerSummary } from '../../lib/model/datapoint.js';
import { DIMENSION_KEYS, type Dimensions } from '../../lib/model/dimensions.js';
import { containerDimensions } from './samples.js';

/** Model objects have Object.prototype; toStrictEqual tells null-prototype ones apart. */
export const plain = { noNullPrototype: true };

export const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/** avsc's own long writer is exact up to 2^52 in magnitude; the extremes are tested on their own. */
export const timestamp = fc.oneof(
  fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
  fc.constantFrom(0, 1_732_300_000_000, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, 2 ** 52),
);

export function metricBatchArbitraries(text: fc.Arbitrary<string>) {
  const stringMap = fc.dictionary(text, text, { maxKeys: 4, ...plain });
  const doubleMap = fc.dictionary(text, fc.double(), { maxKeys: 4, ...plain });

  const timer: fc.Arbitrary<TimerSummary> = fc
    .record(
      {
        count: fc.double(),
        sum: fc.double(),
        min: fc.double(),
        max: fc.double(),
        mean: fc.double(),
        stddev: fc.double(),
        percentiles: doubleMap,
        approximate: fc.boolean(),
        sketch: fc.option(
          fc.record(
            {
              relativeAccuracy: fc.double(),
              positiveOffset: int32,
              positiveBins: fc.array(fc.double(), { maxLength: 8 }),
              negativeOffset: int32,
              negativeBins: fc.array(fc.double(), { maxLength: 8 }),
              zeroCount: fc.double(),
            },
            plain,
          ),
          { nil: undefined },
        ),
      },
      plain,
    )
    .map(({ sketch, ...summary }) => (sketch === undefined ? summary : { ...summary, sketch }));

  const dimensions: fc.Arbitrary<Readonly<Dimensions>> = fc
    .record(
      {
        scalars: fc.array(fc.option(text, { nil: undefined }), {
          minLength: DIMENSION_KEYS.length,
          maxLength: DIMENSION_KEYS.length,
        }),
        labels: fc.option(stringMap, { nil: undefined }),
      },
      plain,
    )
    .map(({ scalars, labels }) => {
      const built: Dimensions = {};
      DIMENSION_KEYS.forEach((key, i) => {
        const value = scalars[i];
        if (value !== undefined) built[key] = value;
      });
      if (labels !== undefined) built.labels = labels;
      return Object.freeze(built);
    });

  /** A datapoint's fields, optional ones undefined when absent (the tests build the Datapoint). */
  const pointFields = {
    name: text,
    kind: fc.constantFrom<MetricKind>('counter', 'gauge', 'timer', 'set'),
    value: fc.double(),
    unit: fc.oneof(fc.constantFrom('', 'ms', 'bytes'), text),
    timeMs: timestamp,
    tags: stringMap,
    containerId: fc.option(fc.oneof(fc.constant(containerDimensions.container_id!), text), {
      nil: undefined,
    }),
    rate: fc.option(fc.double(), { nil: undefined }),
    timer: fc.option(timer, { nil: undefined }),
  };

  /** A batch's sender fields and optional dimensions. */
  const senderFields = {
    agentId: text,
    hostname: text,
    sentMs: timestamp,
    batchId: text,
    dimensions: fc.option(dimensions, { nil: undefined }),
  };

  return { stringMap, doubleMap, timer, dimensions, pointFields, senderFields };
}

/**
 * A datapoint's container as the model has it: its own, else its batch's. A datapoint of a batch
 * whose dimensions name a container belongs to that container unless it names another (the
 * writer leaves the repeated id out, and readers take it from the batch).
 */
export function pointContainer(
  own: string | undefined,
  dimensions: Readonly<Dimensions> | undefined,
): string | undefined {
  return own ?? dimensions?.container_id;
}

/** Avro's long: a zig-zag varint, computed with BigInt (exact for any safe integer). */
export function avroLong(value: number): number[] {
  let zigzag = value >= 0 ? BigInt(value) * 2n : BigInt(value) * -2n - 1n;
  const bytes: number[] = [];
  while (zigzag > 0x7fn) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  bytes.push(Number(zigzag));
  return bytes;
}
