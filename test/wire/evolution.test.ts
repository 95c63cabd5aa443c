/**
 * Schema evolution: every released version, and older and newer writers than the current
 * schema, read with the current schema (schemas/README.md has the rules these rely on).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dimensions } from '../../lib/model/dimensions.js';
import { ConfluentDecoder, SchemaRegistryClient } from '../../lib/wire/confluent.js';
import {
  metadataUpdateFromRecord,
  metadataUpdateToRecord,
  metricBatchFromRecord,
  metricBatchToRecord,
  taskEventFromRecord,
  taskEventToRecord,
} from '../../lib/wire/datapoint-codec.js';
import type { WireRecords } from '../../lib/wire/records.js';
import {
  defaultAvroDir,
  loadSchemaCatalog,
  loadSchemaVersion,
  MESSAGE_NAMES,
  type MessageName,
  messageOf,
  schemaCatalog,
  type WireSchema,
} from '../../lib/wire/schemas.js';
import { SingleObjectDecoder, singleObjectHeader } from '../../lib/wire/single-object.js';
import { FakeSchemaRegistry } from '../helpers/fake-schema-registry.js';
import { metadataUpdates, sampleBatch, taskEvents } from './samples.js';

const FIXTURE_V0 = join(import.meta.dirname, '..', 'fixtures', 'wire', 'v0');

/** A full current record of each message. */
const SAMPLES: { [N in MessageName]: WireRecords[N] } = {
  MetricBatch: metricBatchToRecord(sampleBatch()),
  TaskEvent: taskEventToRecord(taskEvents[1]!),
  MetadataUpdate: metadataUpdateToRecord(metadataUpdates[0]!),
};

/** The model form of a decoded record: what the collector goes on with. */
function toModel(name: MessageName, record: unknown): unknown {
  if (name === 'MetricBatch') return metricBatchFromRecord(record as WireRecords['MetricBatch']);
  if (name === 'TaskEvent') return taskEventFromRecord(record as WireRecords['TaskEvent']);
  return metadataUpdateFromRecord(record as WireRecords['MetadataUpdate']);
}

/** A value as another schema of the same message sees it (Avro schema resolution). */
function project(record: unknown, from: WireSchema, to: WireSchema): unknown {
  const resolver = from.fingerprint === to.fingerprint ? undefined : to.type.createResolver(from.type);
  return to.type.fromBuffer(from.type.toBuffer(record), resolver);
}

function singleObject(schema: WireSchema, record: unknown): Buffer {
  return Buffer.concat([singleObjectHeader(schema), schema.type.toBuffer(record)]);
}

function withoutLabels(dimensions: Readonly<Dimensions>): Dimensions {
  const { labels: _, ...rest } = dimensions;
  return rest;
}

/**
 * Checks that every version directory under `avroDir` is listed as released, and that data of
 * each of its messages decodes with the current schema: the sample record as that version
 * sees it (which must survive old → current → old unchanged), and random values of it.
 * Returns the versions it checked.
 */
function checkEveryReleasedVersion(avroDir: string): string[] {
  const catalog = loadSchemaCatalog(avroDir);
  const directories = readdirSync(avroDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^v\d+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  expect(directories, 'every version directory is listed in versions.json, and only those').toEqual(
    catalog.released.map((v) => v.version),
  );
  const checked: string[] = [];
  for (const version of directories) {
    const released = loadSchemaVersion(join(avroDir, version), version);
    for (const [name, writer] of released.messages) {
      const reader = catalog.currentSchema(name);
      const decoder = new SingleObjectDecoder(reader, catalog.writerSchemas(name));
      const asWritten = project(SAMPLES[name], schemaCatalog().currentSchema(name), writer);
      const decoded = decoder.decode(singleObject(writer, asWritten));
      expect(() => toModel(name, decoded)).not.toThrow();
      expect({ ...(project(decoded, reader, writer) as object) }).toEqual({ ...(asWritten as object) });
      for (let i = 0; i < 25; i++) {
        const random = writer.type.random();
        expect(() => toModel(name, decoder.decode(singleObject(writer, random)))).not.toThrow();
      }
    }
    checked.push(version);
  }
  return checked;
}

/** A plausible next release: Datapoint gains a field with a default, TaskState a symbol. */
function nextVersionSchemas(): Map<string, unknown> {
  const v1 = join(defaultAvroDir(), 'v1');
  const files = new Map<string, unknown>();
  for (const file of readdirSync(v1)) files.set(file, JSON.parse(readFileSync(join(v1, file), 'utf8')));
  const batch = files.get('MetricBatch.avsc') as {
    fields: Array<{ name: string; type: { items: { fields: unknown[] } } }>;
  };
  const datapoint = batch.fields.find((f) => f.name === 'datapoints')!.type.items;
  datapoint.fields.push({ name: 'interval_ms', type: ['null', 'long'], default: null, doc: 'Added in v2.' });
  const event = files.get('TaskEvent.avsc') as {
    fields: Array<{ name: string; type: { symbols?: string[] } }>;
  };
  event.fields.find((f) => f.name === 'state')!.type.symbols!.push('unreachable');
  return files;
}

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('schema evolution', () => {
  const catalog = schemaCatalog();
  const v0 = loadSchemaVersion(FIXTURE_V0, 'v0');

  it('the fixture is v1 without Dimensions.labels, a field v1 adds with a default', () => {
    const v1 = catalog.current;
    for (const name of MESSAGE_NAMES) {
      expect(v0.messages.get(name)!.fingerprint).not.toBe(v1.messages.get(name)!.fingerprint);
      expect(
        v1.messages
          .get(name)!
          .canonicalForm.replace(',{"name":"labels","type":["null",{"type":"map","values":"string"}]}', ''),
      ).toBe(v0.messages.get(name)!.canonicalForm);
    }
  });

  it('reads data an older writer (v0) wrote, with the current schema', () => {
    const batch = sampleBatch();
    const dimensions = withoutLabels(batch.dimensions!);
    const expected = {
      ...batch,
      dimensions,
      datapoints: batch.datapoints.map((p) => ({ ...p, dimensions })),
    };
    const cases: Array<[MessageName, unknown, unknown]> = [
      ['MetricBatch', metricBatchToRecord(expected), expected],
      [
        'TaskEvent',
        SAMPLES.TaskEvent,
        { ...taskEvents[1], dimensions: withoutLabels(taskEvents[1]!.dimensions) },
      ],
      [
        'MetadataUpdate',
        SAMPLES.MetadataUpdate,
        { ...metadataUpdates[0], dimensions: withoutLabels(metadataUpdates[0]!.dimensions) },
      ],
    ];
    for (const [name, record, model] of cases) {
      const writer = v0.messages.get(name)!;
      const decoder = new SingleObjectDecoder(catalog.currentSchema(name), [
        ...catalog.writerSchemas(name),
        writer,
      ]);
      const message = singleObject(writer, project(record, catalog.currentSchema(name), writer));
      expect(toModel(name, decoder.decode(message))).toStrictEqual(model);
    }
  });

  it('lets an older reader (v0) read what the current schema writes (agents upgraded first)', () => {
    for (const name of MESSAGE_NAMES) {
      const reader = v0.messages.get(name)!;
      const decoder = new SingleObjectDecoder(reader, [catalog.currentSchema(name)]);
      // Typed as the current record; at run time it has v0's fields.
      const decoded = decoder.decode(singleObject(catalog.currentSchema(name), SAMPLES[name]));
      expect(decoded.dimensions).not.toHaveProperty('labels');
      expect(decoded.dimensions?.task_id).toBe('checkout.instance-3f1c9e2a._app.1');
    }
  });

  it('reads a newer writer once it knows its schema: new fields are skipped, new enum symbols become the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-wire-v2-'));
    temporaryDirs.push(dir);
    for (const [file, schema] of nextVersionSchemas()) writeFileSync(join(dir, file), JSON.stringify(schema));
    const v2 = loadSchemaVersion(dir, 'v2');
    const batchWriter = messageOf(v2, 'MetricBatch')!;
    const batchRecord = project(SAMPLES.MetricBatch, catalog.currentSchema('MetricBatch'), batchWriter) as {
      datapoints: Array<{ interval_ms: number | null }>;
    };
    for (const point of batchRecord.datapoints) point.interval_ms = 10_000;
    const batches = new SingleObjectDecoder(catalog.currentSchema('MetricBatch'), [batchWriter]);
    expect(metricBatchFromRecord(batches.decode(singleObject(batchWriter, batchRecord)))).toStrictEqual(
      sampleBatch(),
    );

    const eventWriter = messageOf(v2, 'TaskEvent')!;
    const events = new SingleObjectDecoder(catalog.currentSchema('TaskEvent'), [eventWriter]);
    const unreachable = { ...SAMPLES.TaskEvent, state: 'unreachable', previous_state: 'unreachable' };
    const decoded = taskEventFromRecord(events.decode(singleObject(eventWriter, unreachable)));
    expect([decoded.state, decoded.previousState]).toEqual(['lost', 'lost']);
  });

  it('refuses a single-object message from a version it was not given (collectors learn versions first)', () => {
    const writer = messageOf(v0, 'TaskEvent')!;
    const decoder = new SingleObjectDecoder(
      catalog.currentSchema('TaskEvent'),
      catalog.writerSchemas('TaskEvent'),
    );
    const message = singleObject(
      writer,
      project(SAMPLES.TaskEvent, catalog.currentSchema('TaskEvent'), writer),
    );
    expect(() => decoder.decode(message)).toThrow(/no known schema has fingerprint/);
  });

  it('reads an older writer through the registry without being told about it (Confluent format)', async () => {
    const registry = new FakeSchemaRegistry();
    const url = await registry.start();
    try {
      const writer = messageOf(v0, 'MetricBatch')!;
      const id = registry.add('metrics-value', JSON.stringify(writer.schema));
      const header = Buffer.of(0, 0, 0, 0, 0);
      header.writeInt32BE(id, 1);
      const record = project(SAMPLES.MetricBatch, catalog.currentSchema('MetricBatch'), writer);
      const decoder = new ConfluentDecoder(
        new SchemaRegistryClient({ url }),
        catalog.currentSchema('MetricBatch'),
      );
      const decoded = metricBatchFromRecord(
        await decoder.decode(Buffer.concat([header, writer.type.toBuffer(record)])),
      );
      expect(decoded.dimensions).toStrictEqual(withoutLabels(sampleBatch().dimensions!));
      expect(decoded.datapoints.map((p) => p.name)).toEqual(sampleBatch().datapoints.map((p) => p.name));
    } finally {
      await registry.stop();
    }
  });

  it('decodes data of every released version (schemas/avro/v*) with the current schema', () => {
    const checked = checkEveryReleasedVersion(defaultAvroDir());
    expect(checked).toContain(catalog.current.version);
    expect(checked).toEqual(catalog.released.map((v) => v.version));
  });

  it('checks a version directory as soon as it exists, and fails one not listed as released', () => {
    const avroDir = mkdtempSync(join(tmpdir(), 'corral-wire-avro-'));
    temporaryDirs.push(avroDir);
    cpSync(defaultAvroDir(), avroDir, { recursive: true });
    cpSync(join(avroDir, 'v1'), join(avroDir, 'v2'), { recursive: true });
    for (const [file, schema] of nextVersionSchemas())
      writeFileSync(join(avroDir, 'v2', file), JSON.stringify(schema));
    expect(() => checkEveryReleasedVersion(avroDir)).toThrow(
      /every version directory is listed in versions.json/,
    );
    writeFileSync(join(avroDir, 'versions.json'), JSON.stringify({ current: 'v1', released: ['v1', 'v2'] }));
    expect(checkEveryReleasedVersion(avroDir)).toEqual(['v1', 'v2']);
  });

  it('fails to load a release the current schema cannot read', () => {
    const avroDir = mkdtempSync(join(tmpdir(), 'corral-wire-bad-'));
    temporaryDirs.push(avroDir);
    cpSync(defaultAvroDir(), avroDir, { recursive: true });
    cpSync(join(avroDir, 'v1'), join(avroDir, 'v2'), { recursive: true });
    const update = JSON.parse(readFileSync(join(avroDir, 'v2', 'MetadataUpdate.avsc'), 'utf8')) as {
      fields: Array<{ name: string; type: unknown }>;
    };
    update.fields.find((f) => f.name === 'removed')!.type = 'string';
    writeFileSync(join(avroDir, 'v2', 'MetadataUpdate.avsc'), JSON.stringify(update));
    writeFileSync(join(avroDir, 'versions.json'), JSON.stringify({ current: 'v1', released: ['v1', 'v2'] }));
    const bad = loadSchemaCatalog(avroDir);
    expect(
      () => new SingleObjectDecoder(bad.currentSchema('MetadataUpdate'), bad.writerSchemas('MetadataUpdate')),
    ).toThrow();
  });
});
