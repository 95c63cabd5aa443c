import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerKafkaCodecs } from '../../lib/kafka/compression.js';
import { ConfluentDecoder, SchemaRegistryClient } from '../../lib/wire/confluent.js';
import { metadataUpdateFromRecord, metricBatchFromRecord } from '../../lib/wire/datapoint-codec.js';
import { type MessageName, schemaCatalog } from '../../lib/wire/schemas.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';
import { type AgentProcess, kafkaAgentFlags, REPO_ROOT, startAgent } from '../helpers/agent-process.js';
import { FakeSchemaRegistry } from '../helpers/fake-schema-registry.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';
import { statsdClient } from '../helpers/statsd-client.js';

const CONTAINER = 'e4faacb2-f69f-4ea1-9d96-eb06fea75eef';
const current = <N extends MessageName>(name: N) => schemaCatalog().currentSchema(name);

interface RawMessage {
  topic: string;
  key: string;
  value: Buffer | null;
}

describe('agent -> Kafka wire formats and the metadata topic (real CLI, mock broker)', () => {
  let broker: KafkaBroker;
  let registry: FakeSchemaRegistry;
  let registryUrl = '';
  let dir = '';
  let agent: AgentProcess | undefined;
  let consumer: Consumer | undefined;
  const messages: RawMessage[] = [];
  const prefix = `w${process.pid}-${Date.now()}.`;

  beforeEach(async () => {
    broker = await startKafkaBroker();
    for (const topic of ['metrics', 'events', 'metadata'])
      await broker.createTopic(`${prefix}${topic}`, 1, 1);
    registry = new FakeSchemaRegistry();
    registryUrl = await registry.start();
    dir = mkdtempSync(join(tmpdir(), 'corral-wire-e2e-'));
    // A v2 cgroup tree with one Mesos container, for the none provider to find.
    const root = join(dir, 'cgroup');
    mkdirSync(join(root, 'mesos', CONTAINER), { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu io memory pids\n');
    cpSync(
      join(REPO_ROOT, 'test', 'fixtures', 'cgroup-files', 'v2', 'normal'),
      join(root, 'mesos', CONTAINER),
      {
        recursive: true,
      },
    );
    messages.length = 0;
    // The agent compresses with lz4 by default, which kafkajs reads only with our codec.
    registerKafkaCodecs();
    const kafka = new Kafka({
      clientId: 'corral-test',
      brokers: broker.bootstrap,
      logLevel: logLevel.NOTHING,
    });
    consumer = kafka.consumer({ groupId: `g-${prefix}`, maxWaitTimeInMs: 100, readUncommitted: true });
    await consumer.connect();
    await consumer.subscribe({
      topics: ['metrics', 'metadata'].map((t) => `${prefix}${t}`),
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        messages.push({
          topic: topic.slice(prefix.length),
          key: message.key?.toString() ?? '',
          value: message.value,
        });
      },
    });
  });

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await consumer?.disconnect();
    await broker.stop();
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (extra: string[]) =>
    startAgent(
      [
        ...kafkaAgentFlags({ brokers: broker.bootstrap, prefix, spoolDir: join(dir, 'spool') }),
        '--cgroup-root',
        join(dir, 'cgroup'),
        '--cgroup-interval',
        '1s',
        '--metadata-interval',
        '1s',
        ...extra,
      ],
      'statsd,cgroup',
    );

  const ofTopic = (topic: string) => messages.filter((m) => m.topic === topic);

  it('writes the Confluent wire format under registered ids, readable field for field', async () => {
    registry.authorization = `Basic ${Buffer.from('agent:s3cret').toString('base64')}`;
    const withCredentials = registryUrl.replace('http://', 'http://agent:s3cret@');
    agent = await start(['--kafka-schema-registry-url', withCredentials]);
    expect(agent.logs.find((l) => l.msg === 'Kafka sink')?.wireFormat).toBe('confluent');
    for (const topic of ['metrics', 'events', 'metadata'])
      expect(registry.subjectIds(`${prefix}${topic}-value`)).toHaveLength(1);
    const statsd = statsdClient(agent.udpPort);
    statsd.increment('orders', 3, { region: 'eu' });
    statsd.close(() => {});

    const reader = new SchemaRegistryClient({
      url: registryUrl,
      headers: { Authorization: registry.authorization },
    });
    const batches = new ConfluentDecoder(reader, current('MetricBatch'));
    const decodedMetrics = async () =>
      Promise.all(ofTopic('metrics').map(async (m) => metricBatchFromRecord(await batches.decode(m.value!))));
    await expect
      .poll(
        async () => (await decodedMetrics()).flatMap((b) => b.datapoints).some((p) => p.name === 'orders'),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);
    for (const m of ofTopic('metrics')) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readInt32BE(1)).toBe(registry.subjectIds(`${prefix}metrics-value`)[0]);
    }
    const orders = (await decodedMetrics()).flatMap((b) => b.datapoints).filter((p) => p.name === 'orders');
    expect(orders).toEqual([
      expect.objectContaining({ kind: 'counter', value: 3, tags: { region: 'eu' }, unit: '' }),
    ]);
    // The container's cgroup metrics are keyed and dimensioned by it.
    await expect
      .poll(
        async () =>
          (await decodedMetrics()).some(
            (b) =>
              b.dimensions?.container_id === CONTAINER &&
              b.datapoints.some((p) => p.name === 'container.memory.usage'),
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    expect(ofTopic('metrics').some((m) => m.key === CONTAINER)).toBe(true);

    const updates = new ConfluentDecoder(reader, current('MetadataUpdate'));
    await expect.poll(() => ofTopic('metadata').length, { timeout: 20_000 }).toBeGreaterThan(0);
    const update = metadataUpdateFromRecord(await updates.decode(ofTopic('metadata')[0]!.value!));
    expect(ofTopic('metadata')[0]!.key).toBe(CONTAINER);
    expect(update).toEqual({
      containerId: CONTAINER,
      dimensions: expect.objectContaining({ container_id: CONTAINER, hostname: expect.any(String) }),
      updatedMs: expect.any(Number),
      removed: false,
    });
  });

  it('publishes a container once, then its removal and a tombstone when it goes (single-object)', async () => {
    agent = await start([]);
    expect(agent.logs.find((l) => l.msg === 'Kafka sink')?.wireFormat).toBe('single-object');
    const decoder = singleObjectCodec('MetadataUpdate').decoder;
    await expect.poll(() => ofTopic('metadata').length, { timeout: 20_000 }).toBe(1);
    rmSync(join(dir, 'cgroup', 'mesos', CONTAINER), { recursive: true });
    // Removed after the registry's grace of three refreshes: the update, then the tombstone.
    await expect.poll(() => ofTopic('metadata').length, { timeout: 20_000 }).toBe(3);
    const [added, removed, tombstone] = ofTopic('metadata');
    expect(metadataUpdateFromRecord(decoder.decode(added!.value!))).toMatchObject({
      containerId: CONTAINER,
      removed: false,
    });
    expect(metadataUpdateFromRecord(decoder.decode(removed!.value!))).toMatchObject({
      containerId: CONTAINER,
      removed: true,
    });
    expect(tombstone).toEqual({ topic: 'metadata', key: CONTAINER, value: null });
  });

  it('stops with the reason when the registry refuses the credentials', async () => {
    registry.authorization = 'Basic nope';
    await expect(start(['--kafka-schema-registry-url', registryUrl])).rejects.toThrow(
      /kafka\.schemaRegistryUrl: cannot register the schemas: .*401 Unauthorized/,
    );
  }, 60_000);
});
