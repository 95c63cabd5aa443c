/**
 * The quiet rule (collector.batchIdle): a caught-up partition's chunk is written once nothing
 * new has arrived for batchIdle, long before batchInterval, and what arrives within batchIdle
 * joins the same chunk (one insert, not one per send). Real broker, real embedded ClickHouse.
 */
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { runCollector } from '../../collector/run.js';
import { queryDataDir } from '../helpers/collector-process.js';
import { inProcessCollector, recordDatapointInserts } from '../helpers/in-process-collector.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';

const POINTS = 50;
const SENDS = 3;
const prefix = `batchidle${process.pid}.`;
const collector = inProcessCollector(prefix, 1, 'corral-collector-batch-idle-');

test('a burst is written once it is over, as one chunk, without waiting for batchInterval', {
  timeout: 60_000,
}, async () => {
  // batchInterval far beyond the test's timeout: only the quiet rule can write these rows.
  const config = collector.config({ batchInterval: 10 * 60_000, batchIdle: 2000 });
  const { inserts: datapointInserts, wrapStorage } = recordDatapointInserts();
  const running = await runCollector(config, pino({ level: 'silent' }), { env: {}, wrapStorage });
  collector.running = running;
  const producer = await rawProducer(collector.broker.bootstrap);
  try {
    const now = Date.now();
    // Each send once the collector has consumed the one before: it is waiting for more then,
    // and the next arrives well within batchIdle.
    for (let n = 0; n < SENDS; n++) {
      await producer.send(`${prefix}metrics`, [batchMessage(testBatch(n, POINTS, now + n))]);
      await expect.poll(() => running.stats.consumed.metrics, { timeout: 30_000, interval: 10 }).toBe(n + 1);
    }
  } finally {
    await producer.disconnect();
  }
  await expect
    .poll(() => running.stats.datapointsStored, { timeout: 30_000, interval: 50 })
    .toBe(SENDS * POINTS);
  expect(datapointInserts).toEqual([SENDS * POINTS]);
  expect(running.stats.chunkWrites).toMatchObject({ idle: 1, due: 0, rows: 0, behind: 0 });
  await running.stop();
  collector.running = undefined;

  const [stored] = await queryDataDir<{ rows: number }>(
    collector.dataDir,
    "SELECT toUInt32(count()) AS rows FROM datapoints WHERE NOT startsWith(name, 'corral_')",
  );
  expect(stored).toEqual({ rows: SENDS * POINTS });
});
