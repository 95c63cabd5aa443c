/**
 * Redelivery: the same rows inserted again under the same deduplication token (a crash
 * between insert and commit) add nothing, to the tables nor to anything fed from them.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dedupToken } from '../../../collector/sinks/clickhouse/dedup-token.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import type { InsertPayload } from '../../../collector/storage/storage.js';
import { BASE_MS, metrics, point, taskEvent, timerSummary } from './records.js';
import { openMigratedStorage, type TestStorage } from './test-storage.js';

let db: TestStorage;
beforeAll(async () => {
  db = await openMigratedStorage();
});
afterAll(async () => {
  await db?.drop();
});

function payloads(): InsertPayload[] {
  const builder = new RowsBuilder();
  for (let i = 0; i < 6; i++)
    builder.add(
      metrics([
        point('requests', 'counter', 10 + i, BASE_MS + i * 10_000, { rate: 1 + i / 10 }),
        point('memory', 'gauge', 100 + i, BASE_MS + i * 10_000),
        point('latency', 'timer', 5, BASE_MS + i * 10_000, { timer: timerSummary() }),
      ]),
    );
  builder.add(taskEvent('running', BASE_MS));
  builder.add(taskEvent('failed', BASE_MS + 1000));
  builder.add(taskEvent('finished', BASE_MS + 2000));
  builder.add({
    type: 'metadata',
    update: { containerId: 'c0ffee-1', dimensions: {}, updatedMs: BASE_MS, removed: false },
  });
  return builder.payloads();
}

async function insertAll(token: string): Promise<void> {
  for (const payload of payloads()) await db.storage.insert(payload, { dedupToken: token });
}

async function counts(): Promise<Record<string, number>> {
  const [row] = await db.storage.query<Record<string, string>>(
    `SELECT
      (SELECT count() FROM datapoints) AS datapoints,
      (SELECT sum(count) FROM datapoints_1m) AS datapoints_1m,
      (SELECT sum(count) FROM datapoints_1h) AS datapoints_1h,
      (SELECT count() FROM timer_summaries) AS timer_summaries,
      (SELECT sum(summaries) FROM timer_summaries_1m) AS timer_summaries_1m,
      (SELECT sum(summaries) FROM timer_summaries_1h) AS timer_summaries_1h,
      (SELECT count() FROM task_events) AS task_events,
      (SELECT count() FROM task_terminations) AS task_terminations,
      (SELECT count() FROM container_metadata) AS container_metadata`,
  );
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

test('a repeated token adds nothing to the tables, the rollups or task_terminations; a new one does', async () => {
  const token = dedupToken([{ topic: 'corral.metrics', partition: 3, fromOffset: '100', toOffset: '150' }]);
  await insertAll(token);
  const once = await counts();
  expect(once).toEqual({
    datapoints: 12,
    datapoints_1m: 12,
    datapoints_1h: 12,
    timer_summaries: 6,
    timer_summaries_1m: 6,
    timer_summaries_1h: 6,
    task_events: 3,
    task_terminations: 2,
    container_metadata: 1,
  });

  await insertAll(token);
  await insertAll(token);
  expect(await counts()).toEqual(once);

  await insertAll(
    dedupToken([{ topic: 'corral.metrics', partition: 3, fromOffset: '151', toOffset: '200' }]),
  );
  const twice = await counts();
  for (const [table, n] of Object.entries(once)) expect(twice[table], table).toBe(2 * n);
});
