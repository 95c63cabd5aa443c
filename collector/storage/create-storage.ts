import { ConfigError } from '../../lib/config/errors.js';
import type { CorralConfig } from '../../lib/config/schema.js';
import { readSecretFile } from '../../lib/config/setting-file.js';
import type { DdlContext } from './ddl-template.js';
import { type MigrationResult, migrate } from './migrations.js';
import type { Storage } from './storage.js';

export type CollectorSettings = CorralConfig['collector'];

/**
 * Inserted blocks each table remembers for deduplication: redelivery after a crash comes
 * within minutes, when far fewer inserts than this have happened since.
 */
export const DEDUP_WINDOW = 10_000;

/**
 * Opens the configured storage (no migrations: see openStorage). Each engine's module is
 * loaded only when used: the embedded one maps libchdb, hundreds of megabytes.
 */
export async function createStorage(settings: CollectorSettings): Promise<Storage> {
  if (settings.storage === 'embedded') {
    if (settings.cluster !== '')
      throw new ConfigError('collector.cluster', 'collector.cluster needs collector.storage server');
    const { EmbeddedStorage } = await import('./embedded-storage.js');
    return EmbeddedStorage.open({ dataDir: settings.dataDir, database: settings.database });
  }
  const password = readSecretFile('collector.clickhousePasswordFile', settings.clickhousePasswordFile) ?? '';
  const { ServerStorage } = await import('./server-storage.js');
  return ServerStorage.open({
    url: settings.clickhouseUrl,
    username: settings.clickhouseUser,
    password,
    database: settings.database,
    cluster: settings.cluster,
  });
}

/** Opens the configured storage and applies the migrations it lacks. */
export async function openStorage(
  settings: CollectorSettings,
): Promise<{ storage: Storage; migrations: MigrationResult }> {
  const storage = await createStorage(settings);
  try {
    return { storage, migrations: await migrate(storage, ddlContext(settings)) };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** How the migrations render for these settings. */
export function ddlContext(settings: CollectorSettings): DdlContext {
  return {
    database: settings.database,
    cluster: settings.storage === 'server' ? settings.cluster : '',
    ttlSeconds: {
      datapoints: seconds(settings.ttlDatapoints),
      rollups_1m: seconds(settings.ttlRollups1m),
      rollups_1h: seconds(settings.ttlRollups1h),
      events: seconds(settings.ttlEvents),
    },
    dedupWindow: DEDUP_WINDOW,
  };
}

function seconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}
