import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { runCollector } from '../../collector/run.js';
import { queryDataDir } from '../helpers/collector-process.js';
import { inProcessCollector, recordDatapointInserts } from '../helpers/in-process-collector.js';
import { batchMessage, testBatch } from '../helpers/metric-batches.js';

const BATCHES = 200;
const POINTS = 500;
const BATCH_ROWS = 25_000;
const prefix = `backlog${process.pid}.`;

const collector = inProcessCollector(prefix, 1, 'corral-collector-backlog-');

test('a backlog goes in as inserts of batchRows, each datapoint once', { timeout: 60_000 }, async () => {
  // The backlog, gzip-compressed as agents send it (the test broker keeps a few MB per partition).
  const producer = new Kafka({
    clientId: 'backlog-test',
    brokers: collector.broker.bootstrap,
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
  const start = Date.now() - 10 * 60_000;
  for (let n = 0; n < BATCHES; n += 20) {
    const messages = Array.from({ length: 20 }, (_, i) =>
      batchMessage(testBatch(n + i, POINTS, start + (n + i) * 100)),
    );
    await producer.send({
      topic: `${prefix}metrics`,
      messages,
      acks: -1,
      compression: CompressionTypes.GZIP,
    });
  }
  await producer.disconnect();

  // A short interval: a policy writing every interval would make many small inserts here.
  const config = collector.config({ batchRows: BATCH_ROWS, batchInterval: 200 });
  const { inserts: datapointInserts, wrapStorage } = recordDatapointInserts();
  const running = await runCollector(config, pino({ level: 'silent' }), { env: {}, wrapStorage });
  await expect
    .poll(() => running.stats.datapointsStored, { timeout: 40_000, interval: 100 })
    .toBe(BATCHES * POINTS);
  await running.stop();

  expect(datapointInserts.reduce((sum, rows) => sum + rows, 0)).toBe(BATCHES * POINTS);
  expect(datapointInserts).toHaveLength((BATCHES * POINTS) / BATCH_ROWS);
  for (const rows of datapointInserts) expect(rows).toBe(BATCH_ROWS);
  const [stored] = await queryDataDir<{ rows: number; distinct: number }>(
    collector.dataDir,
    "SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(tags['batch'], tags['seq'])) AS distinct FROM datapoints " +
      "WHERE NOT startsWith(name, 'corral_')",
  );
  expect(stored).toEqual({ rows: BATCHES * POINTS, distinct: BATCHES * POINTS });
});
