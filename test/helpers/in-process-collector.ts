import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RunningCollector } from '../../collector/run.js';
import type { InsertOptions, InsertPayload, Storage } from '../../collector/storage/storage.js';
import { type CorralConfig, defaultConfig } from '../../lib/config/schema.js';
import { startBrokerWithCollectorTopics } from './collector-process.js';
import type { KafkaBroker } from './kafka-broker/index.js';

/**
 * For a test file running the collector in-process: before its tests, a broker with the
 * collector's topics and a data directory; after them, the collector left in `running`
 * stopped, the broker stopped and the directory removed.
 */
export function inProcessCollector(prefix: string, partitions: number, dirPrefix: string) {
  const fixture = {
    broker: undefined as unknown as KafkaBroker,
    dataDir: '',
    running: undefined as RunningCollector | undefined,
    /** The default configuration pointed at the broker, the topic prefix and the directory. */
    config(collector: Partial<CorralConfig['collector']> = {}): CorralConfig {
      const config = defaultConfig();
      config.kafka.brokers = fixture.broker.bootstrap;
      config.kafka.topicPrefix = prefix;
      Object.assign(
        config.collector,
        { groupId: `collector-${prefix}`, dataDir: fixture.dataDir, http: null },
        collector,
      );
      return config;
    },
  };
  beforeAll(async () => {
    fixture.broker = await startBrokerWithCollectorTopics(prefix, partitions);
    fixture.dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  });
  afterAll(async () => {
    await fixture.running?.stop();
    await fixture.broker.stop();
    rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}

/**
 * A runCollector `wrapStorage` that notes the rows of each acknowledged insert into
 * `datapoints`, leaving out the collector's own metrics (collector/sources/self/).
 */
export function recordDatapointInserts(): { inserts: number[]; wrapStorage: (inner: Storage) => Storage } {
  const inserts: number[] = [];
  const wrapStorage = (inner: Storage) =>
    Object.create(inner, {
      insert: {
        value: async (payload: InsertPayload, options: InsertOptions) => {
          await inner.insert(payload, options);
          if (payload.table === 'datapoints' && !options.dedupToken.startsWith('self/'))
            inserts.push(payload.rows);
        },
      },
    }) as Storage;
  return { inserts, wrapStorage };
}
