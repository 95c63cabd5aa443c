import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decoded } from '../../collector/sources/kafka/decode.js';
import { MessageDecoder, RegistryUnavailableError } from '../../collector/sources/kafka/decode.js';
import { collectorTopics } from '../../collector/sources/kafka/topics.js';
import type { MetadataUpdate, TaskEvent } from '../../lib/model/dimensions.js';
import {
  ConfluentEncoder,
  confluentMetricBatchWriter,
  SchemaRegistryClient,
} from '../../lib/wire/confluent.js';
import { metadataUpdateToRecord, taskEventToRecord } from '../../lib/wire/datapoint-codec.js';
import { schemaCatalog } from '../../lib/wire/schemas.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';
import { FakeSchemaRegistry } from '../helpers/fake-schema-registry.js';
import { batchMessage, testBatch } from '../helpers/metric-batches.js';

const topics = collectorTopics('corral.', '');
const NOW = Date.UTC(2026, 0, 1);
const decoder = new MessageDecoder({ topics });

const event: TaskEvent = {
  timeMs: NOW,
  state: 'failed',
  previousState: 'running',
  reason: 'OOMKilled',
  exitCode: 137,
  dimensions: Object.freeze({ task_id: 'web.1', container_id: 'c1' }),
};
const update: MetadataUpdate = {
  containerId: 'c1',
  dimensions: Object.freeze({ task_id: 'web.1', task_name: 'web', container_id: 'c1' }),
  updatedMs: NOW,
  removed: false,
};

const metricsValue = (n = 1, points = 3) => batchMessage(testBatch(n, points, NOW)).value as Buffer;
const eventValue = () => singleObjectCodec('TaskEvent').encoder.encode(taskEventToRecord(event));
const updateValue = () => singleObjectCodec('MetadataUpdate').encoder.encode(metadataUpdateToRecord(update));

function message(topic: string, value: Buffer | null, key: string | null = 'c1') {
  return { topic, key: key === null ? null : Buffer.from(key), value };
}

function poisonOf(decoded: Decoded): string {
  return decoded.ok ? 'ok' : decoded.reason;
}

describe('MessageDecoder: Avro single-object encoding', () => {
  it('decodes the three messages into records', async () => {
    const metrics = await decoder.decode(message(topics.metrics, metricsValue(7)));
    expect(metrics).toMatchObject({
      ok: true,
      record: {
        type: 'metrics',
        agentId: 'agent-1',
        batchId: 'run-1-7',
        dimensions: { container_id: 'container-3' },
      },
    });
    if (metrics.ok && metrics.record.type === 'metrics') {
      expect(metrics.record.datapoints.map((p) => p.value)).toEqual([1, 2, 3]);
      expect(metrics.record.datapoints[0]).toMatchObject({
        name: 'test.points',
        kind: 'counter',
        timeMs: NOW,
      });
    }
    expect(await decoder.decode(message(topics.events, eventValue()))).toEqual({
      ok: true,
      record: { type: 'task_event', event },
    });
    expect(await decoder.decode(message(topics.metadata, updateValue()))).toEqual({
      ok: true,
      record: { type: 'metadata', update },
    });
  });

  it('reads a null value on the metadata topic as a tombstone of the keyed container', async () => {
    expect(await decoder.decode(message(topics.metadata, null, 'c9'))).toEqual({
      ok: true,
      record: { type: 'metadata_tombstone', containerId: 'c9' },
    });
    expect(await decoder.decode(message(topics.metadata, null, null))).toMatchObject({
      ok: false,
      reason: 'invalid_value',
    });
  });

  it.each([
    ['a null value on the metrics topic', topics.metrics, null, 'empty'],
    ['an empty value', topics.events, Buffer.alloc(0), 'empty'],
    ['garbage bytes', topics.metrics, Buffer.from('hello, not avro'), 'bad_marker'],
    ['C3 without 01', topics.metrics, Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'bad_marker'],
    ['a header cut short', topics.metrics, Buffer.from([0xc3, 0x01, 1, 2, 3]), 'truncated'],
    ['a datum cut short', topics.metrics, metricsValue().subarray(0, 40), 'truncated'],
    ['bytes after the datum', topics.events, Buffer.concat([eventValue(), Buffer.from([0])]), 'undecodable'],
    [
      'an unknown fingerprint',
      topics.metrics,
      Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), Buffer.from([0])]),
      'unknown_fingerprint',
    ],
    // A schema of another message is unknown to the topic's decoder.
    ['a task event on the metrics topic', topics.metrics, eventValue(), 'unknown_fingerprint'],
    ['a topic the collector does not read', 'corral.other', metricsValue(), 'unknown_topic'],
    [
      'the Confluent format without a registry',
      topics.metrics,
      Buffer.from([0, 0, 0, 0, 1, 2]),
      'unknown_schema_id',
    ],
  ] as const)('%s is poison: %s', async (_what, topic, value, reason) => {
    const decoded = await decoder.decode(message(topic, value as Buffer | null));
    expect(poisonOf(decoded)).toBe(reason);
    if (!decoded.ok) expect(decoded.detail).not.toBe('');
  });

  it.each([
    [
      'a value that is not finite',
      (b: ReturnType<typeof testBatch>) => ({
        ...b,
        datapoints: [{ ...b.datapoints[0]!, value: Number.NaN }],
      }),
    ],
    [
      'a rate that is infinite',
      (b: ReturnType<typeof testBatch>) => ({
        ...b,
        datapoints: [{ ...b.datapoints[0]!, rate: Number.POSITIVE_INFINITY }],
      }),
    ],
    [
      'a time before the epoch',
      (b: ReturnType<typeof testBatch>) => ({ ...b, datapoints: [{ ...b.datapoints[0]!, timeMs: -1 }] }),
    ],
    [
      'a time after 2100',
      (b: ReturnType<typeof testBatch>) => ({
        ...b,
        datapoints: [{ ...b.datapoints[0]!, timeMs: Date.UTC(2200, 0, 1) }],
      }),
    ],
    [
      'an empty name',
      (b: ReturnType<typeof testBatch>) => ({ ...b, datapoints: [{ ...b.datapoints[0]!, name: '' }] }),
    ],
    ['an empty batch id', (b: ReturnType<typeof testBatch>) => ({ ...b, batchId: '' })],
  ])('a metric batch with %s is poison: invalid_value', async (_what, spoil) => {
    const value = batchMessage(spoil(testBatch(1, 2, NOW))).value as Buffer;
    const decoded = await decoder.decode(message(topics.metrics, value));
    expect(decoded).toMatchObject({ ok: false, reason: 'invalid_value' });
  });

  it('a timer whose summary is not finite is poison: invalid_value', async () => {
    const batch = testBatch(1, 1, NOW);
    const timer = {
      count: 1,
      sum: 1,
      min: 1,
      max: Number.NaN,
      mean: 1,
      stddev: 0,
      percentiles: { '50': 1 },
      approximate: false,
    };
    const value = batchMessage({ ...batch, datapoints: [{ ...batch.datapoints[0]!, kind: 'timer', timer }] })
      .value as Buffer;
    expect(await decoder.decode(message(topics.metrics, value))).toMatchObject({
      ok: false,
      reason: 'invalid_value',
    });
  });
});

describe('MessageDecoder: Confluent Schema Registry format', () => {
  const registry = new FakeSchemaRegistry();
  let client: SchemaRegistryClient;
  let withRegistry: MessageDecoder;

  beforeAll(async () => {
    client = new SchemaRegistryClient({ url: await registry.start() });
    withRegistry = new MessageDecoder({ topics, registry: client });
  });
  afterAll(() => registry.stop());

  it('decodes messages under registered ids, and single-object ones beside them', async () => {
    const catalog = schemaCatalog();
    const metrics = confluentMetricBatchWriter(
      await ConfluentEncoder.create(client, topics.metrics, catalog.currentSchema('MetricBatch')),
    );
    const events = await ConfluentEncoder.create(client, topics.events, catalog.currentSchema('TaskEvent'));
    const decoded = await withRegistry.decode(message(topics.metrics, metrics.encode(testBatch(2, 2, NOW))));
    expect(decoded).toMatchObject({ ok: true, record: { type: 'metrics', batchId: 'run-1-2' } });
    expect(
      await withRegistry.decode(message(topics.events, events.encode(taskEventToRecord(event)))),
    ).toEqual({
      ok: true,
      record: { type: 'task_event', event },
    });
    expect(await withRegistry.decode(message(topics.metrics, metricsValue(3)))).toMatchObject({ ok: true });
  });

  it('an id the registry does not have is poison: unknown_schema_id', async () => {
    const value = Buffer.from([0, 0, 0, 0x30, 0x39, 2, 4]);
    expect(poisonOf(await withRegistry.decode(message(topics.metrics, value)))).toBe('unknown_schema_id');
  });

  it('a schema that cannot be read as the topic message is poison: incompatible_schema', async () => {
    const eventsSchema = JSON.stringify(schemaCatalog().currentSchema('TaskEvent').schema);
    const wrongId = registry.add('other-value', eventsSchema);
    const protobufId = registry.add('proto-value', JSON.stringify('syntax = "proto3";'), 'PROTOBUF');
    for (const id of [wrongId, protobufId]) {
      const value = Buffer.concat([Buffer.from([0, 0, 0, 0, id]), eventValue().subarray(10)]);
      expect(poisonOf(await withRegistry.decode(message(topics.metrics, value))), `id ${id}`).toBe(
        'incompatible_schema',
      );
    }
  });

  it("a registry that cannot answer is not the message's fault: the decode is to be retried", async () => {
    registry.failing = true;
    try {
      const value = Buffer.from([0, 0, 0, 0x10, 0x01, 2, 4]);
      await expect(withRegistry.decode(message(topics.metrics, value))).rejects.toBeInstanceOf(
        RegistryUnavailableError,
      );
    } finally {
      registry.failing = false;
    }
  });
});
