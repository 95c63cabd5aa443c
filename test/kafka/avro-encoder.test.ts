/**
 * The agent's record encoder and the encoding sink around it: a container's datapoints split
 * into MetricBatch messages of at most MAX_DATAPOINTS_PER_MESSAGE, each keyed by its
 * container; a message that cannot be encoded costs only itself; encoding lets the event
 * loop run between messages.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  AvroRecordEncoder,
  MAX_DATAPOINTS_PER_MESSAGE,
  MAX_MESSAGE_BYTES,
} from '../../agent/sinks/kafka/avro-encoder.js';
import type { OutgoingRecord } from '../../agent/sinks/kafka/producer.js';
import { singleObjectWriters } from '../../agent/sinks/kafka/wire-writers.js';
import { EncodingSink, type RecordEncoder } from '../../agent/sinks/shared/encoding-sink.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions } from '../../lib/model/dimensions.js';
import { metricBatchFromRecord } from '../../lib/wire/datapoint-codec.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';

const decoder = singleObjectCodec('MetricBatch').decoder;
const log = new RateLimitedLog(pino({ level: 'silent' }));

function points(count: number, dimensions: Readonly<Dimensions> | undefined, prefix: string): Datapoint[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}.${i}`,
    kind: 'counter' as const,
    value: i,
    unit: '',
    timeMs: 1_700_000_000_000,
    tags: { i: String(i % 3) },
    ...(dimensions?.container_id === undefined ? {} : { containerId: dimensions.container_id }),
    ...(dimensions === undefined ? {} : { dimensions }),
  }));
}

/** Keeps what it is given to store. */
class MemorySink extends EncodingSink {
  readonly stores: OutgoingRecord[][] = [];
  constructor(encoder: RecordEncoder) {
    super(encoder, log, 'test');
  }
  protected async store(records: OutgoingRecord[]): Promise<void> {
    this.stores.push(records);
  }
  async close(): Promise<void> {
    await this.stored();
  }
}

describe('AvroRecordEncoder.metrics', () => {
  it('splits a container past MAX_DATAPOINTS_PER_MESSAGE into messages keyed by it, every datapoint once', async () => {
    const container = Object.freeze({ container_id: 'c-1', task_name: 'web' });
    const big = points(2 * MAX_DATAPOINTS_PER_MESSAGE + 500, container, 'app');
    const node = points(10, undefined, 'node');
    const encoder = new AvroRecordEncoder(
      { topicPrefix: 'p.', agentId: 'agent-1', hostname: 'host-1' },
      singleObjectWriters(),
    );
    const sink = new MemorySink(encoder);
    await sink.write([...big, ...node]);
    await sink.close();

    const [records] = sink.stores;
    expect(records!.map((r) => r.key?.toString())).toEqual(['c-1', 'c-1', 'c-1', 'host-1']);
    expect(new Set(records!.map((r) => r.topic))).toEqual(new Set(['p.metrics']));
    const batches = records!.map((r) => metricBatchFromRecord(decoder.decode(r.value)));
    expect(batches.map((b) => b.datapoints.length)).toEqual([
      MAX_DATAPOINTS_PER_MESSAGE,
      MAX_DATAPOINTS_PER_MESSAGE,
      500,
      10,
    ]);
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(4);
    for (const batch of batches.slice(0, 3)) expect(batch.dimensions).toEqual(container);
    const names = batches.slice(0, 3).flatMap((b) => b.datapoints.map((p) => p.name));
    expect(names).toEqual(big.map((p) => p.name));
    expect(batches[3]!.datapoints.map((p) => p.value)).toEqual(node.map((p) => p.value));
  });
});

describe('AvroRecordEncoder.metrics, messages of long tags', () => {
  it('splits a message past MAX_MESSAGE_BYTES in halves, every datapoint once and in order', async () => {
    const container = Object.freeze({ container_id: 'c-1' });
    // 1,000 datapoints of 1.5 KB of tags each: about 1.5 MB in one message.
    const long = points(MAX_DATAPOINTS_PER_MESSAGE, container, 'app').map((p, i) => ({
      ...p,
      tags: { note: `${i}:`.padEnd(1500, 'x') },
    }));
    const encoder = new AvroRecordEncoder(
      { topicPrefix: 'p.', agentId: 'agent-1', hostname: 'host-1' },
      singleObjectWriters(),
    );
    const sink = new MemorySink(encoder);
    await sink.write(long);
    await sink.close();

    const [records] = sink.stores;
    expect(records!.length).toBe(4);
    for (const record of records!) {
      expect(record.value.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(record.key?.toString()).toBe('c-1');
    }
    const batches = records!.map((r) => metricBatchFromRecord(decoder.decode(r.value)));
    expect(batches.map((b) => b.datapoints.length)).toEqual([250, 250, 250, 250]);
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(4);
    const decoded = batches.flatMap((b) => b.datapoints.map((p) => [p.name, p.tags.note]));
    expect(decoded).toEqual(long.map((p) => [p.name, p.tags.note]));
  });
});

describe('EncodingSink', () => {
  it('drops and counts a message that cannot be encoded, and stores the rest of the write', async () => {
    const encoder: RecordEncoder = {
      metrics: (batch) =>
        batch.map((point) => () => {
          if (point.value === 1) throw new Error('cannot encode');
          return [{ topic: 't', key: null, value: Buffer.from(String(point.value)), timeMs: 0 }];
        }),
      events: () => [],
      metadata: () => [],
    };
    const sink = new MemorySink(encoder);
    await sink.write(points(3, undefined, 'm'));
    await sink.close();
    expect(sink.encodeErrors).toBe(1);
    expect(sink.stores.map((records) => records.map((r) => r.value.toString()))).toEqual([['0', '2']]);
  });

  it('lets the event loop run while a large write is encoded', async () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const encoder: RecordEncoder = {
      metrics: (batch) =>
        batch.map((point) => () => {
          busy(2);
          return [{ topic: 't', key: null, value: Buffer.from(String(point.value)), timeMs: 0 }];
        }),
      events: () => [],
      metadata: () => [],
    };
    const sink = new MemorySink(encoder);
    const turns: number[] = [];
    // Counts event-loop turns (setImmediate) until the write is stored.
    let stored = false;
    const tick = () => {
      turns.push(sink.stores.length);
      if (!stored) setImmediate(tick);
    };
    setImmediate(tick);
    await sink.write(points(50, undefined, 'm'));
    stored = true;
    // 50 messages of 2 ms each take ~100 ms; the loop ran many times before the store.
    expect(turns.filter((storedSoFar) => storedSoFar === 0).length).toBeGreaterThanOrEqual(5);
    expect(sink.stores[0]).toHaveLength(50);
  });
});
