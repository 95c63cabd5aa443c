/**
 * The storage the storage tests run on: a ClickHouse server when CLICKHOUSE_URL is set
 * (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD optional), embedded ClickHouse otherwise. Every call
 * gets a database of its own, dropped by drop(). The embedded engine has one data directory
 * per test process at a time (libchdb serves one per process), removed once the last
 * storage on it is closed (a test process may be ended without running exit handlers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DdlContext } from '../../../collector/storage/ddl-template.js';
import { EmbeddedStorage } from '../../../collector/storage/embedded-storage.js';
import { migrate } from '../../../collector/storage/migrations.js';
import { ServerStorage } from '../../../collector/storage/server-storage.js';
import type { Storage } from '../../../collector/storage/storage.js';

export const serverUrl = process.env.CLICKHOUSE_URL ?? '';

let dataDir: string | undefined;
let openOnDataDir = 0;
let counter = 0;

/** This process's embedded data directory, created on first use; releaseDataDir() when done with it. */
export function acquireDataDir(): string {
  openOnDataDir++;
  dataDir ??= mkdtempSync(join(tmpdir(), 'corral-chdb-'));
  return dataDir;
}

/** Removes the data directory when nothing is open on it any more. */
export function releaseDataDir(): void {
  if (--openOnDataDir > 0 || dataDir === undefined) return;
  rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

export function uniqueDatabase(prefix = 'corral_test'): string {
  return `${prefix}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
}

export interface TestStorage {
  storage: Storage;
  database: string;
  /** Drops the database and closes the storage. */
  drop(): Promise<void>;
}

export async function openTestStorage(database = uniqueDatabase()): Promise<TestStorage> {
  const embedded = serverUrl === '';
  const storage: Storage = embedded
    ? await EmbeddedStorage.open({ dataDir: acquireDataDir(), database }).catch((error: unknown) => {
        releaseDataDir();
        throw error;
      })
    : await ServerStorage.open({
        url: serverUrl,
        username: process.env.CLICKHOUSE_USER ?? 'default',
        password: process.env.CLICKHOUSE_PASSWORD ?? '',
        database,
        cluster: '',
      });
  return {
    storage,
    database,
    async drop() {
      try {
        await storage.exec(`DROP DATABASE IF EXISTS ${database} SYNC`);
      } finally {
        await storage.close();
        if (embedded) releaseDataDir();
      }
    },
  };
}

export function testDdlContext(database: string, overrides: Partial<DdlContext> = {}): DdlContext {
  return {
    database,
    cluster: '',
    ttlSeconds: {
      datapoints: 30 * 86400,
      rollups_1m: 90 * 86400,
      rollups_1h: 730 * 86400,
      events: 365 * 86400,
    },
    dedupWindow: 1000,
    ...overrides,
  };
}

/** A storage with every migration applied. */
export async function openMigratedStorage(): Promise<TestStorage> {
  const test = await openTestStorage();
  try {
    await migrate(test.storage, testDdlContext(test.database));
  } catch (error) {
    await test.drop();
    throw error;
  }
  return test;
}
