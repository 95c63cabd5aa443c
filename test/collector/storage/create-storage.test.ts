/** The storage the collector section configures. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  type CollectorSettings,
  createStorage,
  ddlContext,
  openStorage,
} from '../../../collector/storage/create-storage.js';
import { loadMigrations } from '../../../collector/storage/migrations.js';
import { defaultConfig } from '../../../lib/config/schema.js';
import { acquireDataDir, releaseDataDir, uniqueDatabase } from './test-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-create-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settings(overrides: Partial<CollectorSettings> = {}): CollectorSettings {
  return { ...defaultConfig().collector, ...overrides };
}

describe('createStorage', () => {
  test('a cluster needs a server', async () => {
    await expect(createStorage(settings({ storage: 'embedded', cluster: 'c1' }))).rejects.toMatchObject({
      key: 'collector.cluster',
    });
  });

  test('the server password file is read before connecting', async () => {
    await expect(
      createStorage(settings({ storage: 'server', clickhousePasswordFile: join(dir, 'nope') })),
    ).rejects.toMatchObject({ key: 'collector.clickhousePasswordFile' });
  });

  test('openStorage opens the embedded engine in dataDir and applies every migration', async () => {
    const database = uniqueDatabase('corral_open');
    const dataDir = acquireDataDir();
    const { storage, migrations } = await openStorage(settings({ storage: 'embedded', dataDir, database }));
    try {
      expect(storage.kind).toBe('embedded');
      expect(storage.database).toBe(database);
      expect(migrations.applied).toEqual(loadMigrations().map((m) => m.version));
      await storage.ping();
      expect(await storage.query('SELECT count() AS n FROM datapoints')).toEqual([{ n: '0' }]);
    } finally {
      await storage.exec(`DROP DATABASE ${database} SYNC`);
      await storage.close();
      releaseDataDir();
    }
  });
});

test('ddlContext: retention in whole seconds; no cluster for the embedded engine', () => {
  const context = ddlContext(settings({ storage: 'embedded', cluster: 'ignored', database: 'metrics' }));
  expect(context).toMatchObject({
    database: 'metrics',
    cluster: '',
    ttlSeconds: {
      datapoints: 30 * 86_400,
      rollups_1m: 90 * 86_400,
      rollups_1h: 730 * 86_400,
      events: 365 * 86_400,
    },
  });
  expect(ddlContext(settings({ storage: 'server', cluster: 'c1' })).cluster).toBe('c1');
});
