import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataUpdate, TaskEvent } from '../../lib/model/dimensions.js';
import { metadataUpdateToRecord, taskEventToRecord } from '../../lib/wire/datapoint-codec.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';
import { type AgentProcess, kafkaAgentFlags, selfMetrics, startAgent } from '../helpers/agent-process.js';
import {
  type CollectorProcess,
  queryDataDir,
  startBrokerWithCollectorTopics,
  startCollector,
} from '../helpers/collector-process.js';
import type { KafkaBroker } from '../helpers/kafka-broker/index.js';
import { consumeMetrics, type MetricsConsumer } from '../helpers/kafka-consumer.js';
import { batchMessage, rawProducer } from '../helpers/metric-batches.js';
import { statsdClient } from '../helpers/statsd-client.js';

interface PointRow {
  name: string;
  kind: string;
  value: number;
  time_ms: string;
  tags: Record<string, string>;
  hostname: string;
}

const byKey = (a: PointRow, b: PointRow) =>
  `${a.name}|${a.time_ms}|${JSON.stringify(a.tags)}`.localeCompare(
    `${b.name}|${b.time_ms}|${JSON.stringify(b.tags)}`,
  );

describe('agent -> Kafka -> collector -> embedded ClickHouse (real CLIs, mock broker)', () => {
  let broker: KafkaBroker;
  let dataDir = '';
  let agent: AgentProcess | undefined;
  let collector: CollectorProcess | undefined;
  let kafka: MetricsConsumer | undefined;
  const prefix = `e${process.pid}-${Date.now()}.`;

  beforeAll(async () => {
    broker = await startBrokerWithCollectorTopics(prefix, 2);
    dataDir = mkdtempSync(join(tmpdir(), 'corral-collector-e2e-'));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await kafka?.disconnect();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Resolves once `ready` holds over the collector's self-metrics. */
  async function collectorMetricsWhen(ready: (metrics: Map<string, number>) => boolean): Promise<void> {
    const base = collector!.httpBase;
    await expect
      .poll(async () => ready(await selfMetrics(base)), { timeout: 20_000, interval: 200 })
      .toBe(true);
  }

  const consumed = (metrics: Map<string, number>, topic: string) =>
    metrics.get(`corral_collector_messages_consumed_total{topic="${topic}"}`);

  /**
   * Task events and container metadata from the other topics, a batch of a container the agent
   * knew only the id of (filled in from the metadata topic), and an agent's re-send of it.
   */
  async function sendOtherRecords(): Promise<string> {
    const now = Date.now() - 30_000;
    const known = Object.freeze({
      hostname: 'node-9',
      container_id: 'c-known',
      task_id: 'billing.1',
      task_name: 'billing',
      framework_name: 'shop',
      labels: Object.freeze({ team: 'payments' }),
    });
    const updates: MetadataUpdate[] = [
      { containerId: 'c-known', dimensions: known, updatedMs: now, removed: false },
      {
        containerId: 'c-gone',
        dimensions: { container_id: 'c-gone', task_name: 'old' },
        updatedMs: now,
        removed: true,
      },
    ];
    const event: TaskEvent = {
      timeMs: now,
      state: 'oom_killed',
      previousState: 'running',
      reason: 'OOMKilled',
      exitCode: 137,
      dimensions: known,
    };
    const producer = await rawProducer(broker.bootstrap);
    const metadata = singleObjectCodec('MetadataUpdate').encoder;
    await producer.send(`${prefix}metadata`, [
      ...updates.map((u) => ({ key: u.containerId, value: metadata.encode(metadataUpdateToRecord(u)) })),
      // The agent stamps a tombstone with its removal's time.
      { key: 'c-gone', value: null, timestamp: String(now) },
    ]);
    await producer.send(`${prefix}events`, [
      { key: 'c-known', value: singleObjectCodec('TaskEvent').encoder.encode(taskEventToRecord(event)) },
    ]);
    await collectorMetricsWhen((m) => consumed(m, 'metadata') === 3 && consumed(m, 'events') === 1);
    // The agent knew only the container id when it sent this batch.
    const bare = Object.freeze({ hostname: 'node-9', container_id: 'c-known' });
    const points = [1, 2].map((value) => ({
      name: 'billing.requests',
      kind: 'counter' as const,
      value,
      unit: '',
      timeMs: now + value,
      tags: {},
      containerId: 'c-known',
      dimensions: bare,
    }));
    const batch = {
      agentId: 'node-9',
      hostname: 'node-9',
      sentMs: now,
      batchId: 'r1-7',
      dimensions: bare,
      datapoints: points,
    };
    await producer.send(`${prefix}metrics`, [batchMessage(batch)]);
    await producer.send(`${prefix}metrics`, [batchMessage(batch)]);
    await producer.disconnect();
    return batch.batchId;
  }

  it('stores exactly what was sent: datapoints with dimensions, events, metadata; re-sends once', {
    timeout: 60_000,
  }, async () => {
    [collector, kafka] = await Promise.all([
      startCollector({
        brokers: broker.bootstrap,
        topicPrefix: prefix,
        dataDir,
        groupId: `collector-${prefix}`,
      }),
      consumeMetrics(broker.bootstrap, `${prefix}metrics`, `check-${prefix}`),
    ]);
    agent = await startAgent(
      kafkaAgentFlags({ brokers: broker.bootstrap, prefix, spoolDir: join(dataDir, 'spool') }),
    );
    const statsd = statsdClient(agent.udpPort);
    statsd.increment('orders', 5, { region: 'eu' });
    statsd.gauge('temperature', 21.5, { room: 'lab' });
    statsd.timing('checkout', 42, { region: 'eu' });
    statsd.set('visitors', 'alice');
    statsd.set('visitors', 'bob');
    await expect.poll(() => kafka!.total('orders'), { timeout: 20_000 }).toBe(5);
    statsd.increment('orders', 2, { region: 'eu' });
    statsd.increment('orders', 1, { region: 'us' });
    await expect.poll(() => kafka!.total('orders'), { timeout: 20_000 }).toBe(8);
    await expect
      .poll(() => kafka!.received.flatMap((b) => b.datapoints).some((p) => p.name === 'checkout'), {
        timeout: 20_000,
      })
      .toBe(true);
    statsd.close(() => {});
    expect(await agent.stop()).toBe(0);
    agent = undefined;

    const resent = await sendOtherRecords();
    // The check consumer has both copies of the re-sent batch, so comparing the collector's
    // count with its own means everything in Kafka (CI once compared before either had them).
    await expect
      .poll(() => kafka!.received.filter((b) => b.batchId === resent).length, { timeout: 20_000 })
      .toBe(2);
    // Everything in Kafka consumed and written (the agent is gone: nothing more comes).
    await collectorMetricsWhen(
      (m) =>
        consumed(m, 'metrics') === kafka!.received.length && m.get('corral_collector_buffered_rows') === 0,
    );
    const base = collector.httpBase;
    expect((await selfMetrics(base)).get('corral_collector_duplicate_batches_total')).toBe(1);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await collector.stop()).toBe(0);
    collector = undefined;

    // The re-sent batch counts once.
    const batches = kafka.received.filter((b, i, all) => all.findIndex((o) => o.batchId === b.batchId) === i);
    expect(batches.length).toBe(kafka.received.length - 1);
    const sent = batches.flatMap((b) => b.datapoints);
    const expected: PointRow[] = sent
      .filter((p) => p.kind !== 'timer')
      .map((p) => ({
        name: p.name,
        kind: p.kind,
        value: p.value,
        time_ms: String(p.timeMs),
        tags: p.tags,
        hostname: p.dimensions?.hostname ?? '',
      }))
      .sort(byKey);
    const stored = await queryDataDir<PointRow>(
      dataDir,
      'SELECT name, kind, value, toString(toUnixTimestamp64Milli(time)) AS time_ms, tags, hostname FROM datapoints ' +
        // The collector's own metrics (component=collector) are stored there too.
        "WHERE NOT startsWith(name, 'corral_')",
    );
    expect(stored.sort(byKey)).toEqual(expected);
    expect(expected.filter((p) => p.name === 'orders').map((p) => [p.value, p.tags.region])).toEqual(
      expect.arrayContaining([
        [5, 'eu'],
        [2, 'eu'],
        [1, 'us'],
      ]),
    );
    expect(expected.find((p) => p.name === 'visitors' && p.value === 2)).toBeDefined();
    expect(expected.every((p) => p.hostname !== '')).toBe(true);

    const timers = await queryDataDir<{
      name: string;
      count: number;
      sum: number;
      tags: Record<string, string>;
    }>(dataDir, "SELECT name, count, sum, tags FROM timer_summaries WHERE name = 'checkout'");
    const sentTimers = sent.filter((p) => p.name === 'checkout');
    expect(timers).toHaveLength(sentTimers.length);
    expect(timers.reduce((sum, t) => sum + t.count, 0)).toBe(1);
    expect(timers.find((t) => t.count === 1)).toEqual({
      name: 'checkout',
      count: 1,
      sum: 42,
      tags: { region: 'eu' },
    });

    // The bare batch got the container's dimensions from the metadata topic.
    const known = await queryDataDir<Record<string, unknown>>(
      dataDir,
      `SELECT value, task_id, task_name, framework_name, labels FROM datapoints
       WHERE container_id = 'c-known' ORDER BY value`,
    );
    const billing = {
      task_id: 'billing.1',
      task_name: 'billing',
      framework_name: 'shop',
      labels: { team: 'payments' },
    };
    expect(known).toEqual([
      { value: 1, ...billing },
      { value: 2, ...billing },
    ]);
    expect(
      await queryDataDir(
        dataDir,
        'SELECT state, previous_state, reason, exit_code, task_name FROM task_events',
      ),
    ).toEqual([
      {
        state: 'oom_killed',
        previous_state: 'running',
        reason: 'OOMKilled',
        exit_code: 137,
        task_name: 'billing',
      },
    ]);
    expect(await queryDataDir(dataDir, 'SELECT outcome, failed, task_id FROM task_terminations')).toEqual([
      { outcome: 'oom_killed', failed: 1, task_id: 'billing.1' },
    ]);
    expect(
      await queryDataDir(
        dataDir,
        'SELECT container_id, task_name, removed FROM container_metadata FINAL ORDER BY container_id',
      ),
    ).toEqual([
      { container_id: 'c-gone', task_name: 'old', removed: 1 },
      { container_id: 'c-known', task_name: 'billing', removed: 0 },
    ]);
  });
});
