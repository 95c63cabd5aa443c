import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import {
  type CollectorProcess,
  queryDataDir,
  startBrokerWithCollectorTopics,
  startCollector,
} from '../helpers/collector-process.js';
import type { KafkaBroker } from '../helpers/kafka-broker/index.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';

const POINTS = 4;

interface DeadLetter {
  value: Buffer | null;
  headers: Record<string, string>;
}

describe('poison messages between good ones (real CLI collector, mock broker)', () => {
  let broker: KafkaBroker;
  let dataDir = '';
  let collector: CollectorProcess | undefined;
  let dlq: Consumer | undefined;
  const deadLetters: DeadLetter[] = [];
  const prefix = `p${process.pid}-${Date.now()}.`;

  beforeAll(async () => {
    broker = await startBrokerWithCollectorTopics(prefix, 1);
    dataDir = mkdtempSync(join(tmpdir(), 'corral-collector-poison-'));
  });

  afterAll(async () => {
    await collector?.stop();
    await dlq?.disconnect();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function readDeadLetters(): Promise<Consumer> {
    const kafka = new Kafka({
      clientId: 'corral-test',
      brokers: broker.bootstrap,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId: `dlq-${prefix}`,
      maxWaitTimeInMs: 100,
      readUncommitted: true,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}deadletter`], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
        deadLetters.push({ value: message.value, headers });
      },
    });
    return consumer;
  }

  it('stores the good ones and dead-letters the rest with the reason, counted', {
    timeout: 60_000,
  }, async () => {
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
    const metricsTopic = `${prefix}metrics`;
    // Offsets 0..8: good, three poison, good, three poison, good.
    const messages = [
      good(1),
      ...poison.slice(0, 3).map(([value]) => ({ key: 'x', value })),
      good(2),
      ...poison.slice(3).map(([value]) => ({ key: 'x', value })),
      good(3),
    ];
    const producer = await rawProducer(broker.bootstrap);
    await producer.send(metricsTopic, messages);
    await producer.send(`${prefix}events`, [{ key: 'task', value: Buffer.from('{"not": "avro"}') }]);
    await producer.disconnect();

    [collector, dlq] = await Promise.all([
      startCollector({
        brokers: broker.bootstrap,
        topicPrefix: prefix,
        dataDir,
        groupId: `collector-${prefix}`,
      }),
      readDeadLetters(),
    ]);
    const base = collector.httpBase;
    await expect.poll(() => deadLetters.length, { timeout: 20_000 }).toBe(poison.length + 1);
    await expect
      .poll(
        async () => {
          const metrics = await selfMetrics(base);
          return (
            metrics.get('corral_collector_messages_consumed_total{topic="metrics"}') === messages.length &&
            metrics.get('corral_collector_buffered_rows') === 0 &&
            metrics.get('corral_collector_commits_total')! >= 2
          );
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);

    // Each poison message as it was, with why and where it came from.
    const poisonOffsets = [1, 2, 3, 5, 6, 7];
    for (const [i, [value, reason]] of poison.entries()) {
      const letter = deadLetters.find((l) => l.headers.original_offset === String(poisonOffsets[i]));
      expect(letter?.headers, reason).toMatchObject({
        reason,
        original_topic: metricsTopic,
        original_partition: '0',
      });
      expect(letter?.headers.detail).not.toBe('');
      // An empty value stays empty (kafkajs reads it as an empty buffer or null).
      expect(Buffer.from(letter?.value ?? Buffer.alloc(0)).equals(value), reason).toBe(true);
    }
    expect(deadLetters.find((l) => l.headers.original_topic === `${prefix}events`)?.headers).toMatchObject({
      reason: 'bad_marker',
      original_offset: '0',
    });

    const metrics = await selfMetrics(base);
    const counted = (reason: string) =>
      metrics.get(`corral_collector_dead_letters_total{reason="${reason}"}`);
    expect(counted('bad_marker')).toBe(2);
    for (const reason of ['unknown_fingerprint', 'truncated', 'invalid_value', 'unknown_schema_id', 'empty'])
      expect(counted(reason), reason).toBe(1);
    expect(await collector.stop()).toBe(0);
    collector = undefined;

    const stored = await queryDataDir<{ batch: string; points: number }>(
      dataDir,
      "SELECT tags['batch'] AS batch, toUInt32(count()) AS points FROM datapoints GROUP BY batch ORDER BY batch",
    );
    expect(stored).toEqual([
      { batch: '1', points: POINTS },
      { batch: '2', points: POINTS },
      { batch: '3', points: POINTS },
    ]);
  });
});
