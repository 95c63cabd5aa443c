import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, runCollector } from '../../collector/run.js';
import type { InsertOptions, InsertPayload, Storage } from '../../collector/storage/storage.js';
import { defaultConfig } from '../../lib/config/schema.js';
import { queryDataDir, startBrokerWithCollectorTopics } from '../helpers/collector-process.js';
import type { KafkaBroker } from '../helpers/kafka-broker/index.js';
import { batchMessage, rawProducer, testBatch } from '../helpers/metric-batches.js';

const POINTS = 20;
const OUTAGE_MS = 20_000;
const MAX_BUFFERED_ROWS = 1000;

/**
 * The real storage, whose inserts fail while `failing` is set (as a ClickHouse that is down).
 * It follows which offset ranges got all their rows stored, from the tokens: an intent
 * (`intent/<topic>/<partition>/<from>-<to>`) names a range's tables, and each table's insert
 * (`<topic>/<partition>/<from>-<to>/<table>`) stores one of them.
 */
class FlakyStorage implements Storage {
  failing = false;
  /** Partitions (`topic/partition`) whose inserts were refused. */
  readonly refused = new Set<string>();
  /** Partition -> the end of the furthest range whose rows are all stored. */
  readonly storedUpTo = new Map<string, bigint>();
  private readonly tablesLeft = new Map<string, Set<string>>();

  constructor(private readonly inner: Storage) {}

  get kind() {
    return this.inner.kind;
  }

  get database() {
    return this.inner.database;
  }

  exec(sql: string) {
    return this.inner.exec(sql);
  }

  query<T>(sql: string) {
    return this.inner.query<T>(sql);
  }

  async insert(payload: InsertPayload, options: InsertOptions): Promise<void> {
    const intent = options.dedupToken.startsWith('intent/');
    const [topic, partition, range, table] = options.dedupToken
      .replace(/^intent\//, '')
      .split('/') as string[];
    if (this.failing) {
      this.refused.add(`${topic}/${partition}`);
      throw new Error('storage is down (test)');
    }
    await this.inner.insert(payload, options);
    const key = `${topic}/${partition}/${range}`;
    if (intent) {
      const row = JSON.parse(payload.data.toString()) as { tables: string[] };
      this.tablesLeft.set(key, new Set(row.tables));
      return;
    }
    const left = this.tablesLeft.get(key);
    left?.delete(table!);
    if (left?.size !== 0) return;
    const to = BigInt(range!.split('-')[1]!);
    const stored = this.storedUpTo.get(`${topic}/${partition}`) ?? 0n;
    if (to > stored) this.storedUpTo.set(`${topic}/${partition}`, to);
  }

  ping() {
    return this.failing ? Promise.reject(new Error('storage is down (test)')) : this.inner.ping();
  }

  close() {
    return this.inner.close();
  }
}

describe('storage down for 20 s under load (pipeline in-process, real embedded storage)', () => {
  let broker: KafkaBroker;
  let dataDir = '';
  let running: RunningCollector | undefined;
  const prefix = `s${process.pid}-${Date.now()}.`;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    broker = await startBrokerWithCollectorTopics(prefix, 2);
    dataDir = mkdtempSync(join(tmpdir(), 'corral-collector-outage-'));
  });

  afterAll(async () => {
    await running?.stop();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds back, commits nothing, stays within maxBufferedRows, then stores everything exactly once', {
    timeout: 75_000,
  }, async () => {
    const config = defaultConfig();
    config.kafka.brokers = broker.bootstrap;
    config.kafka.topicPrefix = prefix;
    Object.assign(config.collector, {
      groupId: `collector-${prefix}`,
      dataDir,
      http: null,
      batchRows: 400,
      batchInterval: 200,
      maxBufferedRows: MAX_BUFFERED_ROWS,
    });
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    );
    let storage: FlakyStorage | undefined;
    running = await runCollector(config, logger, {
      env: {},
      wrapStorage: (inner) => {
        storage = new FlakyStorage(inner);
        return storage;
      },
    });
    const { stats } = running;

    // An agent's worth of batches, every 50 ms, until told to stop.
    const producer = await rawProducer(broker.bootstrap);
    const start = Date.now() - 10 * 60_000;
    let produced = 0;
    let producing = true;
    const production = (async () => {
      while (producing) {
        const n = produced++;
        await producer.send(`${prefix}metrics`, [batchMessage(testBatch(n, POINTS, start + n * 100, 8))]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await expect.poll(() => stats.commits, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    storage!.failing = true;
    // Fetching waits for the partition whose chunk is refused (kafkajs fetches once every
    // batch of the previous fetch is handled).
    await expect.poll(() => storage!.refused.size, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const storedAtFailure = new Map(storage!.storedUpTo);
    const commitsAtFailure = stats.commits;
    const producedAtFailure = produced;
    const consumedAtFailure = stats.consumed.metrics;
    const failedAt = performance.now();
    await expect
      .poll(() => performance.now() - failedAt >= OUTAGE_MS, { timeout: OUTAGE_MS + 5000, interval: 500 })
      .toBe(true);
    // Nothing was committed past the rows stored before the outage: at most the chunks that
    // had all their rows in just before it were committed since (one per partition).
    expect(storage!.storedUpTo).toEqual(storedAtFailure);
    expect(stats.committed.size).toBeGreaterThan(0);
    for (const [partition, { offset }] of stats.committed)
      expect(offset, partition).toBeLessThanOrEqual(storedAtFailure.get(partition) ?? 0n);
    expect(stats.commits - commitsAtFailure).toBeLessThanOrEqual(2);
    expect(produced - producedAtFailure).toBeGreaterThan(100);
    // Consumption stopped short of what was produced: fetching waits for the storage.
    expect(stats.consumed.metrics - consumedAtFailure).toBeLessThan((MAX_BUFFERED_ROWS / POINTS) * 2);
    expect(stats.insertFailures).toBeGreaterThan(0);
    storage!.failing = false;

    producing = false;
    await production;
    await producer.disconnect();
    await expect
      .poll(() => stats.consumed.metrics === produced && stats.bufferedRows === 0, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(true);
    expect(stats.maxBufferedRows).toBeLessThanOrEqual(MAX_BUFFERED_ROWS);
    expect(stats.commits).toBeGreaterThan(commitsAtFailure);
    expect(logLines.some((l) => l.msg === 'insert failed; retrying')).toBe(true);
    await running.stop();
    running = undefined;

    const [stored] = await queryDataDir<{ rows: number; distinct: number }>(
      dataDir,
      "SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(tags['batch'], tags['seq'])) AS distinct FROM datapoints " +
        "WHERE NOT startsWith(name, 'corral_')",
    );
    expect(stored).toEqual({ rows: produced * POINTS, distinct: produced * POINTS });
  });
});
