/**
 * Poison messages written straight onto the metrics topic (and one onto the events topic)
 * between good batches, while the agent's load goes on: each is dead-lettered with its reason
 * and where it came from, counted, and consumption goes on; the good batches and every line of
 * the load are stored exactly once. (Was test/collector/poison.test.ts, without the load.)
 */
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerKafkaCodecs } from '../../lib/kafka/compression.js';
import { selfMetrics } from '../helpers/agent-process.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';
import { metricByLabel } from './harness/pipeline.js';
import { finish, pollUntil, startLoaded, usePipeline, waitForLoadStored } from './harness/scenario.js';

const POINTS = 4;

interface DeadLetter {
  value: Buffer | null;
  headers: Record<string, string>;
}

describe('fault: poison messages on the metrics topic under steady load', () => {
  const pipeline = usePipeline('poison');
  const deadLetters: DeadLetter[] = [];

  async function readDeadLetters(): Promise<Consumer> {
    // The collector writes dead letters with kafka.compression, lz4 by default: our codec reads it.
    registerKafkaCodecs();
    const kafka = new Kafka({
      clientId: 'corral-test',
      brokers: pipeline().broker.bootstrap,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `dlq-${pipeline().prefix}`,
      maxWaitTimeInMs: 100,
      readUncommitted: true,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${pipeline().prefix}deadletter`], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
        deadLetters.push({ value: message.value, headers });
      },
    });
    pipeline().onTeardown(() => consumer.disconnect());
    return consumer;
  }

  it('dead-letters each poison message with its reason, counted, and stores everything else exactly once', {
    timeout: 120_000,
  }, async (context) => {
    const [running] = await Promise.all([startLoaded(pipeline()), readDeadLetters()]);
    const { collector, query } = running;

    const now = Date.now() - 60_000;
    const good = (n: number) => batchMessage(testBatch(n, POINTS, now + n * 1000));
    const spoiled = testBatch(5, POINTS, now);
    const nan = batchMessage({ ...spoiled, datapoints: [{ ...spoiled.datapoints[0]!, value: Number.NaN }] });
    const poison: [Buffer, string][] = [
      [Buffer.from('hello, this is no Avro'), 'bad_marker'],
      [
        Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0x5a), Buffer.from([2, 4, 6])]),
        'unknown_fingerprint',
      ],
      [(good(9).value as Buffer).subarray(0, 30), 'truncated'],
      [nan.value as Buffer, 'invalid_value'],
      [Buffer.from([0, 0, 0, 0, 7, 2, 4]), 'unknown_schema_id'],
      [Buffer.alloc(0), 'empty'],
    ];
    const metricsTopic = `${pipeline().prefix}metrics`;
    // One send to partition 0, between the agent's batches: good, three poison, good, three poison, good.
    const messages = [
      good(1),
      ...poison.slice(0, 3).map(([value]) => ({ key: 'x', value })),
      good(2),
      ...poison.slice(3).map(([value]) => ({ key: 'x', value })),
      good(3),
    ].map((m) => ({ ...m, partition: 0 }));
    const producer = await rawProducer(pipeline().broker.bootstrap);
    const [written] = await producer.send(metricsTopic, messages);
    const base = Number(written!.baseOffset);
    await producer.send(`${pipeline().prefix}events`, [
      { key: 'task', value: Buffer.from('{"not": "avro"}') },
    ]);
    await producer.disconnect();
    const recoveryMs = await waitForLoadStored(running);
    await pollUntil(
      async () => deadLetters.length,
      (n) => n >= poison.length + 1,
      'the dead letters',
      20_000,
    );
    const counted = async () =>
      metricByLabel(await selfMetrics(collector.httpBase), 'corral_collector_dead_letters_total', 'reason');
    const reasons = Object.entries(await counted()).map(([reason, n]) => `${n} ${reason}`);
    const extra = { [`poison messages dead-lettered (${reasons.join(', ')})`]: deadLetters.length };
    await finish(context, running, { recoveryMs, extra });

    // Each poison message as it was, with why and where it came from; nothing else dead-lettered.
    expect(deadLetters).toHaveLength(poison.length + 1);
    const poisonOffsets = [1, 2, 3, 5, 6, 7].map((i) => base + i);
    for (const [i, [value, reason]] of poison.entries()) {
      const letter = deadLetters.find(
        (l) =>
          l.headers.original_topic === metricsTopic && l.headers.original_offset === String(poisonOffsets[i]),
      );
      expect(letter?.headers, reason).toMatchObject({ reason, original_partition: '0' });
      expect(letter?.headers.detail).not.toBe('');
      // An empty value stays empty (kafkajs reads it as an empty buffer or null).
      expect(Buffer.from(letter?.value ?? Buffer.alloc(0)).equals(value), reason).toBe(true);
    }
    expect(
      deadLetters.find((l) => l.headers.original_topic === `${pipeline().prefix}events`)?.headers,
    ).toMatchObject({
      reason: 'bad_marker',
      original_offset: '0',
    });
    expect(await counted()).toEqual({
      bad_marker: 2,
      unknown_fingerprint: 1,
      truncated: 1,
      invalid_value: 1,
      unknown_schema_id: 1,
      empty: 1,
    });

    // The good batches between them, each whole.
    const stored = await query<{ batch: string; points: number }>(
      "SELECT tags['batch'] AS batch, toUInt32(count()) AS points FROM datapoints WHERE name = 'test.points' " +
        'GROUP BY batch ORDER BY batch',
    );
    expect(stored).toEqual([
      { batch: '1', points: POINTS },
      { batch: '2', points: POINTS },
      { batch: '3', points: POINTS },
    ]);
  });
});
