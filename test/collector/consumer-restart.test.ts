/**
 * A consumer crash kafkajs does not restart from (a non-retriable error: here the coordinator
 * answering SyncGroup with INVALID_REQUEST, as librdkafka's mock does to a late member) is
 * restarted by the collector: it rejoins the group and stores what is on the topic, and
 * corral_collector_consumer_restarts_total counts it. Against the real CLI and mock broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import {
  type CollectorProcess,
  startBrokerWithCollectorTopics,
  startCollector,
} from '../helpers/collector-process.js';
import { ApiKey, type KafkaBroker } from '../helpers/kafka-broker/index.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';
import { collectorQuery } from '../helpers/start-process.js';

const INVALID_REQUEST = 42;
const prefix = `restart${process.pid}.`;
let broker: KafkaBroker | undefined;
let collector: CollectorProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'corral-consumer-restart-'));

afterAll(async () => {
  await collector?.stop();
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('rejoins after a SyncGroup refused with INVALID_REQUEST and stores the topic', {
  timeout: 90_000,
}, async () => {
  broker = await startBrokerWithCollectorTopics(prefix, 2);
  const producer = await rawProducer(broker.bootstrap);
  const batches = [0, 1, 2, 3].map((n) => testBatch(n, 5, Date.now()));
  await producer.send(`${prefix}metrics`, batches.map(batchMessage));
  await producer.disconnect();
  await broker.requestErrors(ApiKey.SyncGroup, INVALID_REQUEST, 1);

  collector = await startCollector({
    brokers: broker.bootstrap,
    topicPrefix: prefix,
    dataDir,
    groupId: `group-${prefix}`,
    waitFor: 'listening',
  });
  const running = collector;
  await running.waitForLog(
    (logs) => logs.some((l) => l.msg === 'restarting the Kafka consumer'),
    'a restart',
    30_000,
  );
  await expect
    .poll(
      async () => {
        const [row] = await collectorQuery<{ n: string; total: number }>(
          running.httpBase,
          "SELECT toString(count()) AS n, sum(value) AS total FROM datapoints WHERE name = 'test.points'",
        );
        return { n: row?.n, total: row?.total };
      },
      { timeout: 60_000, interval: 250 },
    )
    // 4 batches of values 1..5.
    .toEqual({ n: '20', total: 60 });
  const metrics = await selfMetrics(running.httpBase);
  expect(metrics.get('corral_collector_consumer_restarts_total')).toBe(1);
  const crashes = running.logs.filter((l) => l.msg === 'Kafka consumer crashed');
  expect(crashes).toHaveLength(1);
  const err = crashes[0]!.err as { code: number; stack: string };
  expect(err.code).toBe(INVALID_REQUEST);
  expect(err.stack).toMatch(/syncGroup/);
  expect(running.child.exitCode).toBeNull();
});
