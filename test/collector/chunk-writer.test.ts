/**
 * The chunk writer on the real engine: every chunk's rows stored once under its range's tokens
 * and committed after them, and with oneInsertAtATime (the embedded engine) never two chunks'
 * inserts at once, however many partitions write together.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Chunk } from '../../collector/pipeline/chunk.js';
import { ChunkWriter } from '../../collector/pipeline/chunk-writer.js';
import { InsertIntents } from '../../collector/pipeline/intents.js';
import { PipelineStats } from '../../collector/pipeline/stats.js';
import { RowsBuilder } from '../../collector/sinks/clickhouse/rows.js';
import { DeadLetters } from '../../collector/sources/kafka/dead-letter.js';
import type { InsertOptions, InsertPayload, Storage } from '../../collector/storage/storage.js';
import { createLogger } from '../../lib/log/logger.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import { BASE_MS, metrics, point } from './storage/records.js';
import { openMigratedStorage, type TestStorage } from './storage/test-storage.js';

let db: TestStorage;
beforeAll(async () => {
  db = await openMigratedStorage();
});
afterAll(async () => {
  await db?.drop();
});

/** The real storage, counting the inserts running at the same moment. */
function countingOverlap(storage: Storage) {
  let running = 0;
  const counted = {
    maxAtOnce: 0,
    storage: Object.create(storage, {
      insert: {
        value: async (payload: InsertPayload, options: InsertOptions) => {
          running++;
          counted.maxAtOnce = Math.max(counted.maxAtOnce, running);
          try {
            await storage.insert(payload, options);
          } finally {
            running--;
          }
        },
      },
    }) as Storage,
  };
  return counted;
}

/** Eight partitions' chunks of 2,000 datapoints each, written together; returns the writer's view of it. */
async function writeEightChunksAtOnce(oneInsertAtATime: boolean, topic: string) {
  const log = new RateLimitedLog(createLogger({ level: 'silent', format: 'json' }));
  const counted = countingOverlap(db.storage);
  const stats = new PipelineStats();
  const writer = new ChunkWriter({
    storage: counted.storage,
    intents: new InsertIntents(db.storage),
    deadLetters: new DeadLetters({ send: async () => {}, disconnect: async () => {} }, 'dead', log),
    stats,
    log,
    oneInsertAtATime,
  });
  const session = { heartbeat: async () => {}, isRunning: () => true };
  const commits: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async (_, partition) => {
      const rows = new RowsBuilder();
      const points = Array.from({ length: 2000 }, (_, i) =>
        point(`${topic}.${i}`, 'gauge', partition * 10_000 + i, BASE_MS, { tags: { p: String(partition) } }),
      );
      rows.add(metrics(points));
      const chunk = new Chunk(topic, partition, 100n, rows, performance.now(), undefined);
      chunk.end = 140n;
      chunk.datapoints = points.length;
      await writer.write(chunk, session, async () => {
        commits.push(`${partition}@${chunk.to}`);
      });
    }),
  );
  const [stored] = await db.storage.query<{ n: string; partitions: string }>(
    `SELECT count() AS n, uniqExact(tags['p']) AS partitions FROM datapoints WHERE startsWith(name, '${topic}.')`,
  );
  return { maxAtOnce: counted.maxAtOnce, commits: commits.sort(), stats, stored };
}

test('embedded: one chunk inserted at a time; every row stored, then committed', async () => {
  const result = await writeEightChunksAtOnce(true, 'one-at-a-time');
  expect(result.maxAtOnce).toBe(1);
  expect(result.commits).toEqual(Array.from({ length: 8 }, (_, p) => `${p}@140`));
  expect(result.stats.datapointsStored).toBe(16_000);
  expect(result.stats.rowsInserted.get('datapoints')).toBe(16_000);
  expect(Number(result.stored?.n)).toBe(16_000);
  expect(Number(result.stored?.partitions)).toBe(8);
});

test('without the option, chunks are inserted side by side (what the option prevents)', async () => {
  const result = await writeEightChunksAtOnce(false, 'side-by-side');
  expect(result.maxAtOnce).toBeGreaterThan(1);
  expect(Number(result.stored?.n)).toBe(16_000);
});
