import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfluentDecoder,
  ConfluentEncoder,
  confluentMetricBatchWriter,
  SchemaRegistryClient,
  SchemaRegistryError,
  valueSubject,
} from '../../lib/wire/confluent.js';
import {
  metadataUpdateFromRecord,
  metadataUpdateToRecord,
  metricBatchFromRecord,
  metricBatchToRecord,
  taskEventFromRecord,
  taskEventToRecord,
} from '../../lib/wire/datapoint-codec.js';
import { WireError, type WireErrorReason } from '../../lib/wire/errors.js';
import { type MessageName, schemaCatalog } from '../../lib/wire/schemas.js';
import { FakeSchemaRegistry } from '../helpers/fake-schema-registry.js';
import { metadataUpdates, nodeDimensions, sampleBatch, taskEvents } from './samples.js';

const current = <N extends MessageName>(name: N) => schemaCatalog().currentSchema(name);

async function reasonOf(decode: () => Promise<unknown>): Promise<WireErrorReason | 'decoded'> {
  try {
    await decode();
    return 'decoded';
  } catch (error) {
    if (error instanceof WireError) return error.reason;
    throw error;
  }
}

describe('Confluent wire format', () => {
  const registry = new FakeSchemaRegistry();
  let url = '';

  beforeAll(async () => {
    url = await registry.start();
  });
  afterAll(() => registry.stop());
  beforeEach(() => {
    registry.failing = false;
  });

  it('registers under <topic>-value once and frames datums with 0x00 and the big-endian id', async () => {
    const client = new SchemaRegistryClient({ url });
    const before = registry.count('POST');
    const encoder = await ConfluentEncoder.create(client, 'corral.metrics', current('MetricBatch'));
    await ConfluentEncoder.create(client, 'corral.metrics', current('MetricBatch'));
    expect(registry.count('POST') - before).toBe(1);
    expect(registry.subjectIds(valueSubject('corral.metrics'))).toEqual([encoder.schemaId]);
    const bytes = encoder.encode(metricBatchToRecord(sampleBatch()));
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(encoder.schemaId);
  });

  it('round trips every kind of datapoint, from records and from the fast writer', async () => {
    const client = new SchemaRegistryClient({ url });
    const encoder = await ConfluentEncoder.create(client, 'metrics', current('MetricBatch'));
    const decoder = new ConfluentDecoder(new SchemaRegistryClient({ url }), current('MetricBatch'));
    const writer = confluentMetricBatchWriter(encoder);
    for (const batch of [sampleBatch(), sampleBatch(nodeDimensions), sampleBatch(null)]) {
      const viaWriter = writer.encode(batch);
      expect(viaWriter.toString('hex')).toBe(encoder.encode(metricBatchToRecord(batch)).toString('hex'));
      expect(metricBatchFromRecord(await decoder.decode(viaWriter))).toStrictEqual(batch);
    }
  });

  it('round trips task events and metadata updates', async () => {
    const client = new SchemaRegistryClient({ url });
    const eventEncoder = await ConfluentEncoder.create(client, 'task-events', current('TaskEvent'));
    const eventDecoder = new ConfluentDecoder(client, current('TaskEvent'));
    for (const event of taskEvents) {
      const decoded = await eventDecoder.decode(eventEncoder.encode(taskEventToRecord(event)));
      expect(taskEventFromRecord(decoded)).toStrictEqual(event);
    }
    const updateEncoder = await ConfluentEncoder.create(client, 'metadata', current('MetadataUpdate'));
    const updateDecoder = new ConfluentDecoder(client, current('MetadataUpdate'));
    for (const update of metadataUpdates) {
      const decoded = await updateDecoder.decode(updateEncoder.encode(metadataUpdateToRecord(update)));
      expect(metadataUpdateFromRecord(decoded)).toStrictEqual(update);
    }
    expect(registry.subjectIds('task-events-value')).toEqual([eventEncoder.schemaId]);
    expect(registry.subjectIds('metadata-value')).toEqual([updateEncoder.schemaId]);
  });

  it('asks the registry for a schema id once, however many messages and concurrent decodes', async () => {
    const writerClient = new SchemaRegistryClient({ url });
    const encoder = await ConfluentEncoder.create(writerClient, 'cached', current('TaskEvent'));
    const decoder = new ConfluentDecoder(new SchemaRegistryClient({ url }), current('TaskEvent'));
    const message = encoder.encode(taskEventToRecord(taskEvents[1]!));
    const path = `GET /schemas/ids/${encoder.schemaId}`;
    const before = registry.count(path);
    await Promise.all(Array.from({ length: 20 }, () => decoder.decode(message)));
    await decoder.decode(message);
    expect(registry.count(path) - before).toBe(1);
  });

  it('refuses poison messages with the right reason', async () => {
    const client = new SchemaRegistryClient({ url });
    const encoder = await ConfluentEncoder.create(client, 'poison', current('MetricBatch'));
    const decoder = new ConfluentDecoder(client, current('MetricBatch'));
    const valid = encoder.encode(metricBatchToRecord(sampleBatch()));
    expect(await reasonOf(() => decoder.decode(Buffer.alloc(0)))).toBe('truncated');
    expect(await reasonOf(() => decoder.decode(valid.subarray(0, 3)))).toBe('truncated');
    expect(await reasonOf(() => decoder.decode(Buffer.concat([Buffer.of(1), valid.subarray(1)])))).toBe(
      'bad_marker',
    );
    expect(await reasonOf(() => decoder.decode(Buffer.concat([Buffer.of(0xc3, 0x01), valid])))).toBe(
      'bad_marker',
    );
    expect(await reasonOf(() => decoder.decode(Buffer.concat([valid, Buffer.of(1)])))).toBe('invalid_datum');
    for (let length = 5; length < valid.length; length += 7) {
      expect(await reasonOf(() => decoder.decode(valid.subarray(0, length)))).toBe('truncated');
    }
  });

  it('calls an id the registry lacks unknown, and does not ask again for each poison message', async () => {
    const client = new SchemaRegistryClient({ url });
    const decoder = new ConfluentDecoder(client, current('MetricBatch'));
    const message = Buffer.of(0, 0, 0, 0x30, 0x39, 0);
    const before = registry.count('GET /schemas/ids/12345');
    for (let i = 0; i < 5; i++)
      expect(await reasonOf(() => decoder.decode(message))).toBe('unknown_schema_id');
    expect(registry.count('GET /schemas/ids/12345') - before).toBe(1);
    expect(await reasonOf(() => decoder.decode(Buffer.of(0, 0xff, 0xff, 0xff, 0xff, 0)))).toBe(
      'unknown_schema_id',
    );
  });

  it('asks again for an unknown id once the negative cache expires', async () => {
    const client = new SchemaRegistryClient({ url });
    const decoder = new ConfluentDecoder(client, current('TaskEvent'), { unknownIdCacheMs: 0 });
    // Another producer registers a schema (same canonical form, its own doc) after the first message arrives.
    const late = { ...(current('TaskEvent').schema as object), doc: 'registered late' };
    const nextId = registry.add('probe', JSON.stringify({ type: 'string', doc: `probe ${Date.now()}` })) + 1;
    const message = Buffer.concat([
      Buffer.of(0, 0, 0, 0, 0),
      current('TaskEvent').type.toBuffer(taskEventToRecord(taskEvents[0]!)),
    ]);
    message.writeInt32BE(nextId, 1);
    expect(await reasonOf(() => decoder.decode(message))).toBe('unknown_schema_id');
    expect(registry.add('late-value', JSON.stringify(late))).toBe(nextId);
    expect(taskEventFromRecord(await decoder.decode(message))).toStrictEqual(taskEvents[0]);
  });

  it('calls a registry failure transient, and decodes once the registry is back', async () => {
    const writerClient = new SchemaRegistryClient({ url });
    const encoder = await ConfluentEncoder.create(writerClient, 'flaky', current('TaskEvent'));
    const decoder = new ConfluentDecoder(new SchemaRegistryClient({ url }), current('TaskEvent'));
    const message = encoder.encode(taskEventToRecord(taskEvents[1]!));
    registry.failing = true;
    expect(await reasonOf(() => decoder.decode(message))).toBe('registry_unavailable');
    registry.failing = false;
    expect(taskEventFromRecord(await decoder.decode(message))).toStrictEqual(taskEvents[1]);
  });

  it('calls an unreachable registry transient', async () => {
    const down = new ConfluentDecoder(
      new SchemaRegistryClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }),
      current('TaskEvent'),
    );
    expect(await reasonOf(() => down.decode(Buffer.of(0, 0, 0, 0, 1, 0)))).toBe('registry_unavailable');
  });

  it('refuses writer schemas it cannot read: another schema type, or an incompatible Avro schema', async () => {
    const client = new SchemaRegistryClient({ url });
    const decoder = new ConfluentDecoder(client, current('TaskEvent'));
    const protobuf = registry.add('proto-value', '"syntax = \\"proto3\\";"', 'PROTOBUF');
    const other = registry.add(
      'other-value',
      JSON.stringify({
        type: 'record',
        name: 'io.corral.TaskEvent',
        fields: [{ name: 'time_ms', type: 'string' }],
      }),
    );
    for (const id of [protobuf, other]) {
      const message = Buffer.of(0, 0, 0, 0, 0, 0);
      message.writeInt32BE(id, 1);
      expect(await reasonOf(() => decoder.decode(message))).toBe('incompatible_schema');
    }
  });

  it('reports registry errors with status and error code', async () => {
    const client = new SchemaRegistryClient({ url: `${url}/` });
    await expect(client.schemaById(999_999)).rejects.toMatchObject({ status: 404, errorCode: 40403 });
    await expect(client.register('bad', 'not json')).rejects.toBeInstanceOf(SchemaRegistryError);
    await expect(client.register('bad', 'not json')).rejects.toMatchObject({ status: 422, errorCode: 42201 });
  });
});
