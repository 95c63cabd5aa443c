import { describe, expect, it } from 'vitest';
import {
  metadataUpdateFromRecord,
  metadataUpdateToRecord,
  metricBatchFromRecord,
  metricBatchToRecord,
  taskEventFromRecord,
  taskEventToRecord,
} from '../../lib/wire/datapoint-codec.js';
import { WireError, type WireErrorReason } from '../../lib/wire/errors.js';
import { schemaCatalog } from '../../lib/wire/schemas.js';
import {
  SINGLE_OBJECT_HEADER_LENGTH,
  singleObjectCodec,
  singleObjectMetricBatchWriter,
} from '../../lib/wire/single-object.js';
import { metadataUpdates, nodeDimensions, sampleBatch, taskEvents } from './samples.js';

const batches = singleObjectCodec('MetricBatch');
const events = singleObjectCodec('TaskEvent');
const updates = singleObjectCodec('MetadataUpdate');
const writer = singleObjectMetricBatchWriter();

function reasonOf(decode: () => unknown): WireErrorReason | 'decoded' {
  try {
    decode();
    return 'decoded';
  } catch (error) {
    if (error instanceof WireError) return error.reason;
    throw error;
  }
}

/** Deterministic bytes, so a failure can be replayed. */
function randomBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0 || 1;
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

describe('single-object encoding', () => {
  it('frames the datum with C3 01 and the little-endian fingerprint', () => {
    const bytes = writer.encode(sampleBatch());
    const schema = schemaCatalog().currentSchema('MetricBatch');
    expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(bytes.readBigUInt64LE(2)).toBe(schema.fingerprint);
    expect(schema.type.fromBuffer(bytes.subarray(SINGLE_OBJECT_HEADER_LENGTH))).toBeTruthy();
  });

  it.each([
    ['a container batch', sampleBatch()],
    ['a node batch', sampleBatch(nodeDimensions)],
    ['a batch without dimensions', sampleBatch(null)],
    ['an empty batch', { ...sampleBatch(null), datapoints: [] }],
  ])('round trips %s exactly, from records and from the fast writer', (_, batch) => {
    const viaRecords = batches.encoder.encode(metricBatchToRecord(batch));
    const viaWriter = writer.encode(batch);
    expect(viaWriter).toEqual(viaRecords);
    expect(metricBatchFromRecord(batches.decoder.decode(viaWriter))).toStrictEqual(batch);
  });

  it('gives the datapoints of a decoded batch one shared, frozen dimensions object', () => {
    const decoded = metricBatchFromRecord(batches.decoder.decode(writer.encode(sampleBatch())));
    const shared = decoded.dimensions;
    expect(Object.isFrozen(shared)).toBe(true);
    for (const point of decoded.datapoints) expect(point.dimensions).toBe(shared);
  });

  it.each(taskEvents)('round trips a $state task event', (event) => {
    const bytes = events.encoder.encode(taskEventToRecord(event));
    expect(taskEventFromRecord(events.decoder.decode(bytes))).toStrictEqual(event);
  });

  it.each(metadataUpdates)('round trips the metadata update of $containerId', (update) => {
    const bytes = updates.encoder.encode(metadataUpdateToRecord(update));
    expect(metadataUpdateFromRecord(updates.decoder.decode(bytes))).toStrictEqual(update);
  });

  it('refuses a message of another schema by its fingerprint', () => {
    const event = events.encoder.encode(taskEventToRecord(taskEvents[0]!));
    expect(reasonOf(() => batches.decoder.decode(event))).toBe('unknown_fingerprint');
  });

  it('decodes a Uint8Array as well as a Buffer', () => {
    const bytes = writer.encode(sampleBatch());
    const copy = new Uint8Array(bytes.length + 3).subarray(3);
    copy.set(bytes);
    expect(metricBatchFromRecord(batches.decoder.decode(copy))).toStrictEqual(sampleBatch());
  });
});

describe('single-object poison input', () => {
  const valid = writer.encode(sampleBatch());

  it.each([
    ['nothing', Buffer.alloc(0), 'truncated'],
    ['half a marker', Buffer.of(0xc3), 'truncated'],
    ['a wrong first byte', Buffer.concat([Buffer.of(0xc4), valid.subarray(1)]), 'bad_marker'],
    ['a wrong second byte', Buffer.concat([Buffer.of(0xc3, 0x02), valid.subarray(2)]), 'bad_marker'],
    ['a Confluent message', Buffer.concat([Buffer.of(0, 0, 0, 0, 1), valid.subarray(10)]), 'bad_marker'],
    ['JSON', Buffer.from('{"name":"x"}'), 'bad_marker'],
    ['a marker and part of a fingerprint', valid.subarray(0, 9), 'truncated'],
    [
      'an unknown fingerprint',
      Buffer.concat([valid.subarray(0, 2), Buffer.alloc(8, 7), valid.subarray(10)]),
      'unknown_fingerprint',
    ],
    ['a trailing byte', Buffer.concat([valid, Buffer.of(0)]), 'invalid_datum'],
  ] as const)('refuses %s: %s', (_, bytes, reason) => {
    expect(reasonOf(() => batches.decoder.decode(bytes))).toBe(reason);
  });

  it('calls every cut of a valid message truncated', () => {
    for (let length = 0; length < valid.length; length++) {
      expect([length, reasonOf(() => batches.decoder.decode(valid.subarray(0, length)))]).toEqual([
        length,
        'truncated',
      ]);
    }
  });

  it('refuses an out-of-range enum index or union branch as an invalid datum', () => {
    const header = valid.subarray(0, SINGLE_OBJECT_HEADER_LENGTH);
    // agent_id "", hostname "", sent_ms 0, batch_id "", dimensions null, one datapoint:
    const batchStart = [0, 0, 0, 0, 0, 2];
    const badKind = [...batchStart, 0, 18];
    expect(reasonOf(() => batches.decoder.decode(Buffer.from([...header, ...badKind])))).toBe(
      'invalid_datum',
    );
    const badUnion = [0, 0, 0, 0, 6];
    expect(reasonOf(() => batches.decoder.decode(Buffer.from([...header, ...badUnion])))).toBe(
      'invalid_datum',
    );
  });

  it('refuses absurd item counts at once instead of reading billions of items', () => {
    const header = valid.subarray(0, SINGLE_OBJECT_HEADER_LENGTH);
    // Up to dimensions (null), then 2^40 datapoints: a zig-zag varint.
    const count = [0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    for (const blockCount of [count, [0xff, 0xff, 0xff, 0xff, 0x0f]]) {
      const started = performance.now();
      const bytes = Buffer.from([...header, 0, 0, 0, 0, 0, ...blockCount, ...Buffer.alloc(64)]);
      expect(reasonOf(() => batches.decoder.decode(bytes))).toBe('truncated');
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it('turns random bytes into WireErrors, quickly, whether or not they follow a valid header', () => {
    const header = valid.subarray(0, SINGLE_OBJECT_HEADER_LENGTH);
    const reasons = new Set<string>();
    const started = performance.now();
    for (let seed = 1; seed <= 3000; seed++) {
      const noise = randomBytes(seed, seed % 300);
      expect(reasonOf(() => batches.decoder.decode(noise))).not.toBe('decoded');
      for (const decoder of [batches.decoder, events.decoder, updates.decoder]) {
        const framed = Buffer.concat([
          decoder === batches.decoder
            ? header
            : Buffer.concat([header.subarray(0, 2), decoder.reader.fingerprintBytes]),
          noise,
        ]);
        reasons.add(reasonOf(() => decoder.decode(framed)));
      }
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    reasons.delete('decoded');
    expect([...reasons].sort()).toEqual(['invalid_datum', 'truncated']);
  });
});
