import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const BATCHES = 60;
const POINTS = 25;

describe('collector killed between insert and commit (CORRAL_COLLECTOR_CRASH_AFTER=insert)', () => {
  let broker: KafkaBroker;
  let dataDir = '';
  let collector: CollectorProcess | undefined;
  const prefix = `c${process.pid}-${Date.now()}.`;

  beforeAll(async () => {
    broker = await startBrokerWithCollectorTopics(prefix, 2);
    dataDir = mkdtempSync(join(tmpdir(), 'corral-collector-crash-'));
  });

  afterAll(async () => {
    await collector?.stop();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every datapoint exactly once after the restart, rollups included', {
    timeout: 75_000,
  }, async () => {
    const producer = await rawProducer(broker.bootstrap);
    const start = Date.now() - 5 * 60_000;
    // Two minutes of batches, a second apart: several minutes in the rollup.
    const produce = (from: number, to: number) =>
      producer.send(
        `${prefix}metrics`,
        Array.from({ length: to - from }, (_, i) =>
          batchMessage(testBatch(from + i, POINTS, start + (from + i) * 2000)),
        ),
      );
    await produce(0, BATCHES / 2);
    const options = {
      brokers: broker.bootstrap,
      topicPrefix: prefix,
      dataDir,
      groupId: `collector-${prefix}`,
    };

    const crashing = await startCollector({ ...options, env: { CORRAL_COLLECTOR_CRASH_AFTER: 'insert' } });
    expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await produce(BATCHES / 2, BATCHES);

    collector = await startCollector(options);
    const base = collector.httpBase;
    await expect
      .poll(
        async () => {
          const metrics = await selfMetrics(base);
          return (
            metrics.get('corral_collector_messages_consumed_total{topic="metrics"}') === BATCHES &&
            metrics.get('corral_collector_buffered_rows') === 0
          );
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const metrics = await selfMetrics(base);
    // The range the killed run recorded was found and inserted again under the same tokens.
    expect(metrics.get('corral_collector_resumed_ranges_total')).toBeGreaterThanOrEqual(1);
    expect(await collector.stop()).toBe(0);
    collector = undefined;
    await producer.disconnect();

    const total = BATCHES * POINTS;
    const valueSum = BATCHES * ((POINTS * (POINTS + 1)) / 2);
    // 64-bit counts come quoted: cast to 32 bits to compare numbers.
    const [raw] = await queryDataDir<{ rows: number; distinct: number; value: number }>(
      dataDir,
      "SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(tags['batch'], tags['seq'])) AS distinct, sum(value) AS value FROM datapoints " +
        // The collector's own metrics (component=collector) are stored there too.
        "WHERE NOT startsWith(name, 'corral_')",
    );
    expect(raw).toEqual({ rows: total, distinct: total, value: valueSum });
    for (const rollup of ['datapoints_1m', 'datapoints_1h']) {
      const [rolled] = await queryDataDir<{ count: number; sum: number }>(
        dataDir,
        `SELECT toUInt32(sum(count)) AS count, sum(sum) AS sum FROM ${rollup} WHERE NOT startsWith(name, 'corral_')`,
      );
      expect(rolled, rollup).toEqual({ count: total, sum: valueSum });
    }
  });
});
