/**
 * ClickHouse failing every insert for 30 s under the agent's load. The collector runs in this
 * process (runCollector) so that its storage can be wrapped (FlakyStorage); the agent and the
 * broker are the real ones. (Was test/collector/storage-outage.test.ts, with batches put on
 * the topic and a 20 s outage.)
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type RunningCollector, runCollector } from '../../collector/run.js';
import { defaultConfig } from '../../lib/config/schema.js';
import { FlakyStorage } from './harness/flaky-storage.js';
import { SteadyLoad } from './harness/load.js';
import { metricTotal, startFaultAgent } from './harness/pipeline.js';
import { type Query, waitForStored } from './harness/reconciliation.js';
import { pollUntil, reconcileLoad, sampleFor, settle, stopLoad, usePipeline } from './harness/scenario.js';

const SCENARIO = 'storage-outage';
const OUTAGE_MS = 30_000;
const PARTITIONS = 2;
/** Small, so that the bound on memory is what stops consumption during the outage. */
const MAX_BUFFERED_ROWS = 100;

describe('fault: storage failing for 30 s under steady load (collector in-process, real embedded storage)', () => {
  const pipeline = usePipeline(SCENARIO, PARTITIONS);
  const logLines: Record<string, unknown>[] = [];

  it('holds back, commits nothing, stays within maxBufferedRows, then stores every line exactly once', {
    timeout: 150_000,
  }, async (context) => {
    const config = defaultConfig();
    config.kafka.brokers = pipeline().broker.bootstrap;
    config.kafka.topicPrefix = pipeline().prefix;
    Object.assign(config.collector, {
      groupId: pipeline().groupId,
      dataDir: pipeline().dir('clickhouse'),
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
    const running: RunningCollector = await runCollector(config, logger, {
      env: {},
      wrapStorage: (inner) => {
        storage = new FlakyStorage(inner);
        return storage;
      },
    });
    let stopped = false;
    pipeline().onTeardown(async () => {
      if (!stopped) await running.stop();
    });
    const { stats } = running;
    const query: Query = (sql) => storage!.query(sql);

    const agent = await startFaultAgent(pipeline(), {
      spoolDir: pipeline().dir('spool'),
      stateDir: pipeline().dir('state'),
    });
    const load = new SteadyLoad({ scenario: SCENARIO });
    load.start(agent.process.udpPort);
    const agentSent = async () => metricTotal(await agent.metrics(), 'corral_kafka_records_sent_total');

    await pollUntil(
      async () => stats.commits,
      (commits) => commits >= 2,
      'two commits',
    );
    storage!.failing = true;
    // Fetching waits for the partition whose chunk is refused (kafkajs fetches once every
    // batch of the previous fetch is handled).
    await pollUntil(
      async () => storage!.refused.size,
      (refused) => refused >= 1,
      'a refused insert',
      10_000,
    );
    const storedAtFailure = new Map(storage!.storedUpTo);
    const commitsAtFailure = stats.commits;
    const linesAtFailure = load.sent;
    const producedAtFailure = await agentSent();
    const consumedAtFailure = stats.consumed.metrics;
    const failedAt = performance.now();
    await sampleFor(OUTAGE_MS - (performance.now() - failedAt), async () => {});
    // Nothing was committed past the rows stored before the outage: at most the chunks that
    // had all their rows in just before it were committed since (one per partition).
    expect(storage!.storedUpTo).toEqual(storedAtFailure);
    expect(stats.committed.size).toBeGreaterThan(0);
    for (const [partition, { offset }] of stats.committed)
      expect(offset, partition).toBeLessThanOrEqual(storedAtFailure.get(partition) ?? 0n);
    expect(stats.commits - commitsAtFailure).toBeLessThanOrEqual(PARTITIONS);
    // The load went on (the agent's batches reached Kafka), consumption stopped short of it:
    // fetching waits for the storage, and memory stays bounded. A batch holds 2 rows (the
    // load's 2 series per container), so at most twice what fits in the buffer was taken.
    expect(load.sent - linesAtFailure).toBeGreaterThan(1000);
    const producedInOutage = (await agentSent()) - producedAtFailure;
    expect(producedInOutage).toBeGreaterThan(MAX_BUFFERED_ROWS);
    expect(stats.consumed.metrics - consumedAtFailure).toBeLessThan(MAX_BUFFERED_ROWS);
    expect(stats.insertFailures).toBeGreaterThan(0);
    storage!.failing = false;
    const recoveredAt = performance.now();
    const recoveryMs = await waitForStored(query, SCENARIO, load.sent, recoveredAt);

    await stopLoad(load, agent);
    await settle(
      agent,
      async () => stats.bufferedRows === 0 && [...stats.lag.values()].every((l) => l.lag === 0),
      query,
      SCENARIO,
      load.sent,
    );
    expect(stats.maxBufferedRows).toBeLessThanOrEqual(MAX_BUFFERED_ROWS);
    expect(stats.commits).toBeGreaterThan(commitsAtFailure);
    expect(logLines.some((l) => l.msg === 'insert failed; retrying')).toBe(true);
    await reconcileLoad(context, { scenario: SCENARIO, load, query, recoveryMs });
    stopped = true;
    await running.stop();
  });
});
