/**
 * The agent's transactional producer after a transaction that could neither commit nor abort
 * (the brokers down, or refusing): the next send makes a fresh producer, which re-inits the
 * transactional id, and is taken. kafkajs's own producer would stay in ABORTING for good and
 * refuse every later transaction (seen in a CI run of the broker-down fault scenario).
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProducer, type OutgoingRecord } from '../../agent/sinks/kafka/producer.js';
import { ApiKey, ErrorCode, type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';

const TOPIC = 'producer-recovery';

function records(label: string, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    key: Buffer.from('container-1'),
    value: Buffer.from(`${label}-${i}`),
    timeMs: Date.now(),
  }));
}

/** Every value on the topic, read from the beginning by a fresh group. */
async function readValues(brokers: string[], expected: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'producer-recovery-test', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `read-${Date.now()}`, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value!.toString());
      if (values.length >= expected) done();
    },
  });
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  await consumer.disconnect();
  return values;
}

describe('AgentProducer after a transaction that could not be aborted', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafkaBroker();
    await broker.createTopic(TOPIC, 1, 1);
  });
  afterAll(() => broker?.stop());

  it('sends the next batch with a fresh producer', { timeout: 60_000 }, async () => {
    const producer = new AgentProducer({
      brokers: broker.bootstrap,
      clientId: 'producer-recovery',
      transactionalId: 'producer-recovery-agent',
      compression: 'none',
      maxRequestBytes: 1_000_000,
      requestTimeoutMs: 2000,
      tls: { enabled: false, caFile: '', certFile: '', keyFile: '' },
      sasl: { mechanism: 'none', username: '', passwordFile: '' },
    });
    try {
      await producer.send(records('first', 3));
      // The produce is refused, and so is the abort that follows it: kafkajs leaves the
      // transaction in ABORTING.
      await broker.requestErrors(ApiKey.Produce, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 1);
      await broker.requestErrors(ApiKey.EndTxn, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 1);
      await expect(producer.send(records('refused', 2))).rejects.toThrow();
      await producer.send(records('after', 3));
      await producer.send(records('later', 1));
    } finally {
      await producer.disconnect();
    }
    const values = await readValues(broker.bootstrap, 7);
    expect(values).toEqual(['first-0', 'first-1', 'first-2', 'after-0', 'after-1', 'after-2', 'later-0']);
  });
});
