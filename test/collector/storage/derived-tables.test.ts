/**
 * What the collector derives in ClickHouse: task terminations (and failure rates) from task
 * events, and each container's latest metadata (ReplacingMergeTree, read with FINAL).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CollectorRecord } from '../../../collector/model.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { BASE_MS, dimensions, taskEvent } from './records.js';
import { openMigratedStorage, type TestStorage } from './test-storage.js';

let db: TestStorage;
let token = 0;
beforeAll(async () => {
  db = await openMigratedStorage();
});
afterAll(async () => {
  await db?.drop();
});

async function insert(records: CollectorRecord[], tombstoneMs?: number): Promise<void> {
  const builder = new RowsBuilder();
  for (const record of records) builder.add(record, tombstoneMs);
  for (const payload of builder.payloads())
    await db.storage.insert(payload, { dedupToken: `derived:${++token}` });
}

describe('task_terminations', () => {
  test('one row per terminal transition, with its outcome and whether it failed', async () => {
    const marathon = (task: string) => ({
      dimensions: dimensions({ framework_name: 'marathon', task_id: task }),
    });
    const spark = (task: string) => ({ dimensions: dimensions({ framework_name: 'spark', task_id: task }) });
    await insert([
      taskEvent('staging', BASE_MS, { previousState: '', ...marathon('m1') }),
      taskEvent('running', BASE_MS + 1, { previousState: 'staging', ...marathon('m1') }),
      taskEvent('finished', BASE_MS + 2, marathon('m1')),
      taskEvent('failed', BASE_MS + 3, { reason: 'Error', exitCode: 1, ...marathon('m2') }),
      taskEvent('killed', BASE_MS + 4, marathon('m3')),
      taskEvent('oom_killed', BASE_MS + 5, { reason: 'OOMKilled', exitCode: 137, ...marathon('m4') }),
      taskEvent('running', BASE_MS + 6, spark('s1')),
      taskEvent('finished', BASE_MS + 7, spark('s1')),
      taskEvent('lost', BASE_MS + 8, spark('s2')),
      taskEvent('finished', BASE_MS + 9, spark('s3')),
    ]);

    const rows = await db.storage.query<Record<string, unknown>>(
      'SELECT task_id, outcome, failed, reason, exit_code FROM task_terminations ORDER BY time',
    );
    expect(rows).toEqual([
      { task_id: 'm1', outcome: 'finished', failed: 0, reason: '', exit_code: null },
      { task_id: 'm2', outcome: 'failed', failed: 1, reason: 'Error', exit_code: 1 },
      { task_id: 'm3', outcome: 'killed', failed: 1, reason: '', exit_code: null },
      { task_id: 'm4', outcome: 'oom_killed', failed: 1, reason: 'OOMKilled', exit_code: 137 },
      { task_id: 's1', outcome: 'finished', failed: 0, reason: '', exit_code: null },
      { task_id: 's2', outcome: 'lost', failed: 1, reason: '', exit_code: null },
      { task_id: 's3', outcome: 'finished', failed: 0, reason: '', exit_code: null },
    ]);

    // The failure-rate query of docs/storage.md.
    const rates = await db.storage.query<{
      framework_name: string;
      failure_rate: number;
      terminations: string;
    }>(
      `SELECT framework_name, sum(failed) / count() AS failure_rate, count() AS terminations
       FROM task_terminations GROUP BY framework_name ORDER BY framework_name`,
    );
    expect(rates).toEqual([
      { framework_name: 'marathon', failure_rate: 0.75, terminations: '4' },
      { framework_name: 'spark', failure_rate: 1 / 3, terminations: '3' },
    ]);
  });
});

describe('container_metadata', () => {
  const latest = () =>
    db.storage.query<Record<string, unknown>>(
      `SELECT container_id, task_name, removed, tombstone, toUnixTimestamp64Milli(updated) AS ms
       FROM container_metadata FINAL WHERE container_id LIKE 'meta-%' ORDER BY container_id`,
    );

  test('FINAL gives the latest update of each container, whatever order the updates were inserted in', async () => {
    const update = (id: string, task: string, updatedMs: number, removed = false): CollectorRecord => ({
      type: 'metadata',
      update: {
        containerId: id,
        dimensions: dimensions({ container_id: id, task_name: task }),
        updatedMs,
        removed,
      },
    });
    await insert([update('meta-a', 'v2', BASE_MS + 2000), update('meta-b', 'only', BASE_MS)]);
    await insert([update('meta-a', 'v1', BASE_MS + 1000)]);
    await insert([update('meta-a', 'v3', BASE_MS + 3000)]);
    expect(await latest()).toEqual([
      { container_id: 'meta-a', task_name: 'v3', removed: 0, tombstone: 0, ms: String(BASE_MS + 3000) },
      { container_id: 'meta-b', task_name: 'only', removed: 0, tombstone: 0, ms: String(BASE_MS) },
    ]);

    // Removal: the agent sends the update with removed, then a tombstone with the same time.
    await insert([update('meta-a', 'v3', BASE_MS + 4000, true)]);
    await insert([{ type: 'metadata_tombstone', containerId: 'meta-a' }], BASE_MS + 4000);
    // A tombstone alone (its update compacted away before this collector read it).
    await insert([{ type: 'metadata_tombstone', containerId: 'meta-c' }], BASE_MS + 5000);
    expect(await latest()).toEqual([
      // The tombstone does not wipe the dimensions of the removal it follows.
      { container_id: 'meta-a', task_name: 'v3', removed: 1, tombstone: 0, ms: String(BASE_MS + 4000) },
      { container_id: 'meta-b', task_name: 'only', removed: 0, tombstone: 0, ms: String(BASE_MS) },
      { container_id: 'meta-c', task_name: '', removed: 1, tombstone: 1, ms: String(BASE_MS + 5000) },
    ]);

    // Live containers, as a dashboard lists them.
    const live = await db.storage.query<{ container_id: string }>(
      "SELECT container_id FROM container_metadata FINAL WHERE removed = 0 AND container_id LIKE 'meta-%'",
    );
    expect(live).toEqual([{ container_id: 'meta-b' }]);
  });
});
