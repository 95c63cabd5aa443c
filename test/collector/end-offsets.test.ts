/**
 * EndOffsetWatch against a real Kafka wire-protocol broker: whether more is arriving on a
 * partition, as the pipeline's quiet rule (collector.batchIdle) asks it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndOffsetWatch } from '../../collector/sources/kafka/end-offsets.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';
import { rawProducer } from '../helpers/metric-batches.js';

const TOPIC = 'end-offsets';
let broker: KafkaBroker;
let watch: EndOffsetWatch;
let producer: Awaited<ReturnType<typeof rawProducer>>;

beforeAll(async () => {
  broker = await startKafkaBroker();
  await broker.createTopic(TOPIC, 2, 1);
  producer = await rawProducer(broker.bootstrap);
  const admin = new Kafka({
    brokers: broker.bootstrap,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  watch = new EndOffsetWatch(admin);
});

afterAll(async () => {
  await watch.close();
  await producer.disconnect();
  await broker.stop();
});

/** Sends one message to `partition`; resolves with its offset. */
async function sendTo(partition: number): Promise<bigint> {
  const [sent] = await producer.send(TOPIC, [{ partition, value: Buffer.from('x') }]);
  return BigInt(sent!.baseOffset!);
}

describe('EndOffsetWatch', () => {
  it("answers 'quiet' when nothing comes past the offset within the wait", async () => {
    const offset = await sendTo(0);
    expect(await watch.awaitMore(TOPIC, 0, offset + 1n, 300)).toBe('quiet');
  });

  it("answers 'more' at once for a message already past the offset", async () => {
    const offset = await sendTo(0);
    // A wait that ran out would answer 'quiet'.
    expect(await watch.awaitMore(TOPIC, 0, offset, 30_000)).toBe('more');
  });

  it("answers 'more' when a message arrives during the wait, on that partition only", async () => {
    const end0 = (await sendTo(0)) + 1n;
    const end1 = (await sendTo(1)) + 1n;
    const waiting0 = watch.awaitMore(TOPIC, 0, end0, 30_000);
    const waiting1 = watch.awaitMore(TOPIC, 1, end1, 1500);
    await sendTo(0);
    expect(await waiting0).toBe('more');
    expect(await waiting1).toBe('quiet');
  });

  it("answers 'unknown' when the brokers cannot be read, and reads again once they are back", async () => {
    const offset = await sendTo(1);
    await broker.down(-1);
    try {
      expect(await watch.awaitMore(TOPIC, 1, offset + 1n, 500)).toBe('unknown');
    } finally {
      await broker.up(-1);
    }
    await expect
      .poll(() => watch.awaitMore(TOPIC, 1, offset, 1000), { timeout: 20_000, interval: 100 })
      .toBe('more');
  });
});
