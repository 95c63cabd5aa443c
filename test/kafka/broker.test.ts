/**
 * The Kafka test broker (test/helpers/kafka-broker): kafkajs over real TCP sockets against
 * librdkafka's mock cluster, or against the cluster named by KAFKA_BROKERS, where the fault
 * injection tests are skipped.
 */
import {
  CompressionTypes,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiKey, ErrorCode, type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';

const realKafka = Boolean(process.env.KAFKA_BROKERS?.trim());
const CONSUME_DEADLINE_MS = 20_000;

/** Topic, group and transactional ids unique to this run, so reruns against a real Kafka don't collide. */
const runId = `${process.pid}-${Date.now().toString(36)}`;
let idSeq = 0;
const unique = (what: string) => `corral-test-${what}-${runId}-${idSeq++}`;

interface Consumed {
  partition: number;
  offset: number;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

describe.skipIf(realKafka)('kafka-broker helper (mock)', () => {
  it('answers commands, reports their errors, and stops cleanly', async () => {
    const broker = await startKafkaBroker({ brokers: 3 });
    try {
      expect(broker.mock).toBe(true);
      expect(broker.bootstrap).toHaveLength(3);
      for (const address of broker.bootstrap) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      await broker.createTopic('dup', 2, 3);
      await expect(broker.createTopic('dup', 2, 3)).rejects.toThrow(/topic dup 2 3: .*already exists/);
      await expect(broker.down(9)).rejects.toThrow(/down 9: .*Broker not available/);
      await broker.down(-1);
      await broker.up(-1);
      await broker.rtt(2, 5);
      await expect(broker.requestErrors(ApiKey.Produce, ErrorCode.REQUEST_TIMED_OUT, 0)).rejects.toThrow(
        /error count must be an integer >= 1/,
      );
      await expect(broker.createTopic('has space', 1, 1)).rejects.toThrow(/invalid topic name/);

      const admin = new Kafka({ brokers: broker.bootstrap, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    } finally {
      await broker.stop();
    }
    await broker.stop(); // idempotent
    await expect(broker.up(1)).rejects.toThrow(/mock broker exited \(code 0\)/);
  });

  it('with KAFKA_BROKERS set, hands out that cluster and refuses fault injection', async () => {
    vi.stubEnv('KAFKA_BROKERS', ' kafka-1:9092, kafka-2:9092 ');
    try {
      const broker = await startKafkaBroker();
      expect(broker.mock).toBe(false);
      expect(broker.bootstrap).toEqual(['kafka-1:9092', 'kafka-2:9092']);
      await expect(broker.down(1)).rejects.toThrow(/not supported against a real Kafka/);
      await expect(broker.requestErrors(0, 6, 1)).rejects.toThrow(/not supported against a real Kafka/);
      await broker.stop();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('Kafka broker for tests, kafkajs over TCP', () => {
  let broker: KafkaBroker;
  let logs: LogEntry[];
  let disconnects: (() => Promise<void>)[];

  beforeEach(async () => {
    broker = await startKafkaBroker();
    logs = [];
    disconnects = [];
  });
  afterEach(async () => {
    await Promise.allSettled(disconnects.map((d) => d()));
    await broker.stop();
  });

  /** A kafkajs client whose log (WARN and up) goes to `logs`, shown when a consume times out. */
  const client = (config: Partial<KafkaConfig> = {}) =>
    new Kafka({
      clientId: 'corral-test',
      brokers: broker.bootstrap,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => logs.push(entry),
      ...config,
    });

  const connectProducer = async (kafka: Kafka, config: ProducerConfig = {}): Promise<Producer> => {
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      ...config,
    });
    await producer.connect();
    disconnects.push(() => producer.disconnect());
    return producer;
  };

  /** Consumes `topic` from the beginning in a fresh consumer group until `count` messages arrived. */
  const consume = async (kafka: Kafka, topic: string, count: number) => {
    const groupId = unique('group');
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    disconnects.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const messages: Consumed[] = [];
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        const log = logs.map((e) => `${e.namespace}: ${e.log.message}`).join('\n');
        reject(
          new Error(`consumed ${messages.length} of ${count} messages of ${topic}; client log:\n${log}`),
        );
      }, CONSUME_DEADLINE_MS);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(deadline);
        reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
            messages.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString(),
              value: message.value?.toString(),
              headers,
            });
            if (messages.length === count) {
              clearTimeout(deadline);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return { messages, groupId };
  };

  it('round-trips 1,000 messages: transactional (idempotent) producer, acks -1, gzip and none, consumer group', async () => {
    const topic = unique('roundtrip');
    const partitions = 4;
    await broker.createTopic(topic, partitions, 1);
    const kafka = client();
    // kafkajs sends transactions idempotently (producer id, epoch, sequence numbers), with the
    // producer id from the transaction coordinator. Its plain `idempotent: true` asks the
    // controller instead, which fails against librdkafka 2.0.2's mock (see the test below).
    const producer = await connectProducer(kafka, { transactionalId: unique('tx'), maxInFlightRequests: 1 });

    const expected: Message[][] = Array.from({ length: partitions }, () => []);
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 100 }, (_, j): Message => {
        const i = batch * 100 + j;
        return {
          key: `key-${i % 25}`,
          value: `message-${i}`,
          partition: i % partitions,
          headers: { seq: `${i}` },
        };
      });
      for (const m of messages) expected[m.partition!]!.push(m);
      const transaction = await producer.transaction();
      await transaction.send({
        topic,
        acks: -1,
        compression: batch % 2 === 0 ? CompressionTypes.None : CompressionTypes.GZIP,
        messages,
      });
      await transaction.commit();
    }

    const { messages, groupId } = await consume(kafka, topic, 1000);
    for (let p = 0; p < partitions; p++) {
      const got = messages.filter((m) => m.partition === p);
      expect(got.map(({ key, value, headers }) => ({ key, value, headers }))).toEqual(
        expected[p]!.map(({ key, value, headers }) => ({ key, value, headers })),
      );
      const offsets = got.map((m) => m.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);
    }

    // The group committed its position past every message it consumed.
    const admin = kafka.admin();
    await admin.connect();
    disconnects.push(() => admin.disconnect());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const { partition, offset } of committed!.partitions) {
      const last = Math.max(...messages.filter((m) => m.partition === partition).map((m) => m.offset));
      expect(Number(offset)).toBeGreaterThanOrEqual(last + 1);
    }
    if (broker.mock) {
      // The mock writes no transaction markers: the log holds exactly the 1,000 messages.
      const watermarks = await admin.fetchTopicOffsets(topic);
      expect(watermarks.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1000);
    }
  });

  it.skipIf(realKafka)(
    'mock limitation: kafkajs `idempotent: true` without a transactionalId fails (librdkafka 2.0.2 reports controller 0)',
    async () => {
      await broker.createTopic(unique('idempotent'), 1, 1);
      const producer = client({ retry: { retries: 1, initialRetryTime: 10 } }).producer({
        idempotent: true,
        maxInFlightRequests: 1,
      });
      disconnects.push(() => producer.disconnect());
      // If this starts to pass, the mock got a real controller id: use plain idempotent
      // producers and update test/helpers/kafka-broker/README.md.
      await expect(producer.connect()).rejects.toThrow(/Broker 0 not found/);
    },
  );

  it.skipIf(realKafka)('a broker that is down fails the send; once up, sends succeed again', async () => {
    const topic = unique('availability');
    await broker.createTopic(topic, 1, 1);
    const kafka = client({
      connectionTimeout: 500,
      requestTimeout: 1000,
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
    });
    const producer = await connectProducer(kafka);
    await producer.send({ topic, acks: -1, messages: [{ value: 'before' }] });

    await broker.down(1);
    const error = await producer
      .send({ topic, acks: -1, timeout: 500, messages: [{ value: 'while down' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toMatch(/^KafkaJS/);
    expect((error as Error).message).toMatch(/ECONNREFUSED|Closed connection|ECONNRESET|EPIPE/);

    await broker.up(1);
    await producer.send({ topic, acks: -1, timeout: 500, messages: [{ value: 'after' }] });

    const admin = kafka.admin();
    await admin.connect();
    disconnects.push(() => admin.disconnect());
    // "before" and "after", not "while down".
    expect(await admin.fetchTopicOffsets(topic)).toMatchObject([{ partition: 0, high: '2' }]);
  });

  it.skipIf(realKafka)(
    'injected retriable Produce errors are retried and every message arrives exactly once',
    async () => {
      const topic = unique('retries');
      await broker.createTopic(topic, 3, 1);
      const kafka = client({ retry: { retries: 5, initialRetryTime: 20, maxRetryTime: 100 } });
      const producer = await connectProducer(kafka, {
        transactionalId: unique('tx'),
        maxInFlightRequests: 1,
      });
      let produceRequests = 0;
      producer.on(producer.events.REQUEST, ({ payload }) => {
        if (payload.apiKey === ApiKey.Produce) produceRequests++;
      });

      const batches = 10;
      const perBatch = 20;
      const keys = 10;
      for (let batch = 0; batch < batches; batch++) {
        const code = batch % 2 === 0 ? ErrorCode.NOT_LEADER_FOR_PARTITION : ErrorCode.REQUEST_TIMED_OUT;
        await broker.requestErrors(ApiKey.Produce, code, 2);
        const transaction = await producer.transaction();
        await transaction.send({
          topic,
          acks: -1,
          messages: Array.from({ length: perBatch }, (_, j) => {
            const i = batch * perBatch + j;
            return { key: `key-${i % keys}`, value: `message-${i}` };
          }),
        });
        await transaction.commit();
      }
      // Each send: two failed Produce requests, then the one that succeeded.
      expect(produceRequests).toBe(batches * 3);

      const { messages } = await consume(kafka, topic, batches * perBatch);
      const byKey = new Map<string, number>();
      for (const m of messages) byKey.set(m.key!, (byKey.get(m.key!) ?? 0) + 1);
      expect(Object.fromEntries(byKey)).toEqual(
        Object.fromEntries(Array.from({ length: keys }, (_, k) => [`key-${k}`, (batches * perBatch) / keys])),
      );
      expect(new Set(messages.map((m) => m.value)).size).toBe(batches * perBatch);
      const admin = kafka.admin();
      await admin.connect();
      disconnects.push(() => admin.disconnect());
      const watermarks = await admin.fetchTopicOffsets(topic);
      expect(watermarks.reduce((sum, p) => sum + Number(p.high), 0)).toBe(batches * perBatch);
    },
  );

  it.skipIf(realKafka)('rtt delays a produce round trip by at least the injected amount', async () => {
    const topic = unique('latency');
    await broker.createTopic(topic, 1, 1);
    const producer = await connectProducer(client());
    const timedSend = async (value: string) => {
      const start = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ value }] });
      return performance.now() - start;
    };
    await timedSend('warm-up'); // connections and metadata in place
    const rttMs = 300;
    const baseline = await timedSend('baseline');
    await broker.rtt(1, rttMs);
    const delayed = await timedSend('delayed');
    await broker.rtt(1, 0);
    const restored = await timedSend('restored');
    expect(delayed).toBeGreaterThanOrEqual(rttMs);
    expect(baseline).toBeLessThan(rttMs);
    expect(restored).toBeLessThan(rttMs);
  });
});
