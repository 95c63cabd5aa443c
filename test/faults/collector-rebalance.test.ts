/**
 * Two collectors in one consumer group under steady load; the second one to join is killed
 * (SIGKILL, CORRAL_COLLECTOR_CRASH_AFTER=insert) right after its first insert, before its
 * commit. The group hands its partitions back to the survivor once its session times out,
 * and the survivor resumes from the committed offsets.
 *
 * Each collector has its own embedded ClickHouse (docs/delivery.md: embedded storage keeps
 * intents and dedup tokens per data directory, one collector per group is the supported
 * setup). The survivor's database is reconciled exactly; the killed member's directory keeps
 * the rows of the chunk it inserted without committing, all of which the survivor stored
 * too: with `collector.storage: server` both write one database, where the tokens drop them.
 */
import { describe, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import { SteadyLoad } from './harness/load.js';
import { startFaultAgent, startFaultCollector } from './harness/pipeline.js';
import { dataDirQuery, httpQuery, storedSeries, waitForStored } from './harness/reconciliation.js';
import { finish, usePipeline } from './harness/scenario.js';

const SCENARIO = 'collector-rebalance';

describe('fault: two collectors in one group, one killed mid-batch (rebalance)', () => {
  const pipeline = usePipeline(SCENARIO);

  it('the survivor takes the partitions over and stores every line exactly once', {
    timeout: 150_000,
  }, async (context) => {
    // Both members join the group's first generation together, before any data. librdkafka's
    // mock coordinator answers a SyncGroup that comes after the leader's with INVALID_REQUEST
    // (a real broker sends the assignment), a crash kafkajs does not restart from; the
    // collector then restarts its consumer, which rejoins (collector/sources/kafka/consumer.ts),
    // so on a busy machine the late member joins a generation later instead of exiting.
    const killedDir = pipeline().dir('clickhouse-killed');
    const [survivor, killed] = await Promise.all([
      startFaultCollector(pipeline(), pipeline().dir('clickhouse-survivor'), { waitFor: 'listening' }),
      startFaultCollector(pipeline(), killedDir, {
        env: { CORRAL_COLLECTOR_CRASH_AFTER: 'insert' },
        waitFor: 'listening',
      }),
    ]);
    await survivor.waitForLog(
      (logs) => logs.some((l) => l.msg === 'collector consuming'),
      'the survivor to join',
    );
    const query = httpQuery(survivor.httpBase);
    const agent = await startFaultAgent(pipeline(), {
      spoolDir: pipeline().dir('spool'),
      stateDir: pipeline().dir('state'),
    });
    // Eight containers: their keys spread over the topic's four partitions, so both members get lines.
    const load = new SteadyLoad({ scenario: SCENARIO, containers: 8 });
    load.start(agent.process.udpPort);
    // The second member inserts its first chunk and dies before committing it.
    const exit = await killed.exited;
    expect(exit, JSON.stringify(killed.logs.slice(-3))).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = performance.now();
    const sentAtKill = load.sent;
    // The group hands the dead member's partitions back once its session times out (10 s).
    const joins = (logs: Record<string, unknown>[]) =>
      logs
        .filter((l) => l.msg === 'joined the consumer group')
        .map((l) => Object.values(l.assignment as Record<string, number[]>).flat().length);
    // The survivor's latest join holds every partition (4 of metrics, events, metadata). Until
    // the kill it shared them: the killed member held partitions to insert, in a generation
    // the survivor, if in the group, joined too. Or it was not in the group then (its
    // consumer restarting after the coordinator's INVALID_REQUEST), and its first join is
    // the one that takes everything.
    await survivor.waitForLog(
      (logs) => joins(logs).at(-1) === 6,
      'the survivor to hold every partition alone',
      30_000,
    );
    const recoveryMs = await waitForStored(query, SCENARIO, sentAtKill, killedAt, 60_000);
    expect((await selfMetrics(survivor.httpBase)).get('corral_collector_commits_total')).toBeGreaterThan(0);

    await finish(context, { collector: survivor, agent, query, load }, { recoveryMs });

    // What the killed member inserted is in its own directory, and every row of it also in the survivor's.
    const orphans = await storedSeries(dataDirQuery(killedDir), SCENARIO);
    const keys = (rows: { name: string; container: string; time: string }[]) =>
      rows.map((r) => `${r.name}|${r.container}|${r.time}`);
    const rowsSql =
      "SELECT name, container_id AS container, toString(time) AS time FROM datapoints WHERE tags['scenario'] = " +
      `'${SCENARIO}' AND startsWith(name, 'faults.load.')`;
    const inSurvivor = new Set(keys(await query(rowsSql)));
    const orphanKeys = keys(await dataDirQuery(killedDir)(rowsSql));
    expect(orphanKeys.filter((k) => !inSurvivor.has(k))).toEqual([]);
    console.log(
      `${SCENARIO}: the killed member's own directory holds ${orphans.rows} rows (${orphans.stored} lines) of its uncommitted chunk, all stored by the survivor too`,
    );
  });
});
