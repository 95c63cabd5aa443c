/** The migrations runner against the engine: order, records, idempotence, the checksum guard, TTLs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  checksum,
  loadMigrations,
  type Migration,
  MigrationError,
  migrate,
} from '../../../collector/storage/migrations.js';
import { openTestStorage, type TestStorage, testDdlContext } from './test-storage.js';

let db: TestStorage;
beforeEach(async () => {
  db = await openTestStorage();
});
afterEach(async () => {
  await db?.drop();
});

const TTL_TABLES: Record<string, string> = {
  datapoints: 'datapoints',
  timer_summaries: 'datapoints',
  datapoints_1m: 'rollups_1m',
  timer_summaries_1m: 'rollups_1m',
  datapoints_1h: 'rollups_1h',
  timer_summaries_1h: 'rollups_1h',
  task_events: 'events',
  task_terminations: 'events',
};

async function showCreate(table: string): Promise<string> {
  const [row] = await db.storage.query<{ statement: string }>(`SHOW CREATE TABLE ${db.database}.${table}`);
  return row!.statement;
}

function withTemplate(migrations: readonly Migration[], version: number, template: string): Migration[] {
  return migrations.map((m) =>
    m.version === version ? { ...m, template, checksum: checksum(template) } : m,
  );
}

test('applies every migration once, in order, and records each', async () => {
  const migrations = loadMigrations();
  expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  const context = testDdlContext(db.database);

  const first = await migrate(db.storage, context, migrations);
  expect(first.applied).toEqual(migrations.map((m) => m.version));
  expect(first.skipped).toEqual([]);
  const recorded = await db.storage.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
  );
  expect(recorded).toEqual(
    migrations.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
  );

  const second = await migrate(db.storage, context, migrations);
  expect(second).toEqual({ applied: [], skipped: first.applied, unknown: [], ttlUpdated: [] });
  const [{ n } = { n: '' }] = await db.storage.query<{ n: string }>(
    'SELECT count() AS n FROM schema_migrations',
  );
  expect(Number(n)).toBe(migrations.length);
});

test('every table is created with its configured TTL, and a changed TTL is applied at the next start', async () => {
  const context = testDdlContext(db.database);
  await migrate(db.storage, context);
  for (const [table, key] of Object.entries(TTL_TABLES))
    expect(await showCreate(table), table).toContain(
      `TTL toDateTime(time) + toIntervalSecond(${context.ttlSeconds[key as keyof typeof context.ttlSeconds]})`,
    );
  expect(await showCreate('insert_intents')).toContain('TTL toDateTime(created) + toIntervalDay(7)');

  const shorter = {
    ...context,
    ttlSeconds: { ...context.ttlSeconds, datapoints: 86_400, events: 7 * 86_400 },
  };
  const result = await migrate(db.storage, shorter);
  expect(result.applied).toEqual([]);
  expect(result.ttlUpdated.sort()).toEqual([
    'datapoints',
    'task_events',
    'task_terminations',
    'timer_summaries',
  ]);
  expect(await showCreate('datapoints')).toContain('TTL toDateTime(time) + toIntervalSecond(86400)');
  expect(await showCreate('task_terminations')).toContain('TTL toDateTime(time) + toIntervalSecond(604800)');
  expect((await migrate(db.storage, shorter)).ttlUpdated).toEqual([]);
});

test('refuses to run when an applied migration was edited, naming it', async () => {
  const migrations = loadMigrations();
  await migrate(db.storage, testDdlContext(db.database), migrations);
  const edited = withTemplate(migrations, 3, `${migrations[2]!.template}\n-- a harmless-looking edit\n`);
  const run = migrate(db.storage, testDdlContext(db.database), edited);
  await expect(run).rejects.toThrow(MigrationError);
  await expect(migrate(db.storage, testDdlContext(db.database), edited)).rejects.toThrow(
    /0003_task_events\.sql changed after it was applied .*new migration/,
  );
});

test('a new migration is applied alone; versions the code does not know are reported', async () => {
  const migrations = loadMigrations();
  await migrate(db.storage, testDdlContext(db.database), migrations.slice(0, 2));
  const next = await migrate(db.storage, testDdlContext(db.database), migrations.slice(0, 3));
  expect(next.applied).toEqual([3]);
  expect(next.skipped).toEqual([1, 2]);
  const older = await migrate(db.storage, testDdlContext(db.database), migrations.slice(0, 2));
  expect(older.unknown).toEqual([3]);
});

test('a failing migration names its file and is not recorded; fixed, it applies', async () => {
  const broken: Migration = {
    version: 99,
    name: 'broken',
    template: `CREATE TABLE IF NOT EXISTS \${database}.\${table broken} (x UInt8) ENGINE = NoSuchEngine`,
    checksum: '',
  };
  broken.checksum = checksum(broken.template);
  await expect(migrate(db.storage, testDdlContext(db.database), [broken])).rejects.toThrow(
    /migration 0099_broken\.sql failed/,
  );
  const fixed = { ...broken, template: broken.template.replace('NoSuchEngine', 'Memory') };
  fixed.checksum = checksum(fixed.template);
  expect((await migrate(db.storage, testDdlContext(db.database), [fixed])).applied).toEqual([99]);
});

describe('loadMigrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-migrations-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads NNNN_name.sql in order, checksums line endings away', () => {
    writeFileSync(join(dir, '0002_second.sql'), 'SELECT 2;\r\n');
    writeFileSync(join(dir, '0001_first.sql'), 'SELECT 1;\n');
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    const migrations = loadMigrations(dir);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    expect(migrations[1]!.checksum).toBe(checksum('SELECT 2;\n'));
  });

  test('refuses a misnamed file and a repeated version', () => {
    writeFileSync(join(dir, '1_first.sql'), '');
    expect(() => loadMigrations(dir)).toThrow(/expected a name such as 0001_datapoints\.sql/);
    rmSync(join(dir, '1_first.sql'));
    writeFileSync(join(dir, '0001_a.sql'), '');
    writeFileSync(join(dir, '0001_b.sql'), '');
    expect(() => loadMigrations(dir)).toThrow(/version 1 appears twice/);
  });
});
