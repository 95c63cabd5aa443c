/**
 * The collector SIGKILLed between an insert and its commit (CORRAL_COLLECTOR_CRASH_AFTER=insert,
 * collector/fault-hook.ts), restarted on the same data directory: the range it recorded is
 * inserted again under the same tokens, and every line is stored once, rollups included.
 * (Was test/collector/crash.test.ts, with batches put on the topic; now under the agent's load.)
 */
import { describe, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import { SteadyLoad } from './harness/load.js';
import { startFaultAgent, startFaultCollector } from './harness/pipeline.js';
import { httpQuery, waitForStored } from './harness/reconciliation.js';
import { finish, pollUntil, usePipeline } from './harness/scenario.js';

const SCENARIO = 'collector-crash';

describe('fault: the collector killed (SIGKILL) between insert and commit, then restarted', () => {
  const pipeline = usePipeline(SCENARIO);

  it('stores every line exactly once after the restart, in datapoints and both rollups', {
    timeout: 120_000,
  }, async (context) => {
    const agent = await startFaultAgent(pipeline(), {
      spoolDir: pipeline().dir('spool'),
      stateDir: pipeline().dir('state'),
    });
    const load = new SteadyLoad({ scenario: SCENARIO });
    load.start(agent.process.udpPort);
    // A backlog for the first chunk: the agent has flushed a few times before the collector starts.
    await pollUntil(
      async () => (await agent.metrics()).get('corral_kafka_records_sent_total') ?? 0,
      (sent) => sent >= 8,
      'the agent to send a few batches',
    );

    const dataDir = pipeline().dir('clickhouse');
    const crashing = await startFaultCollector(pipeline(), dataDir, {
      env: { CORRAL_COLLECTOR_CRASH_AFTER: 'insert' },
    });
    expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const collector = await startFaultCollector(pipeline(), dataDir);
    const restartedAt = performance.now();
    const query = httpQuery(collector.httpBase);
    const recoveryMs = await waitForStored(query, SCENARIO, load.sent, restartedAt);
    // The range the killed run recorded was found and inserted again under the same tokens.
    expect(
      (await selfMetrics(collector.httpBase)).get('corral_collector_resumed_ranges_total'),
    ).toBeGreaterThanOrEqual(1);

    await finish(context, { collector, agent, query, load }, { recoveryMs });
    // Each stored row once in the minute and hour rollups too (the views saw each block once).
    const [raw] = await query<{ rows: number; sum: number }>(
      `SELECT toUInt32(count()) AS rows, sum(value) AS sum FROM datapoints WHERE tags['scenario'] = '${SCENARIO}'`,
    );
    expect(raw).toEqual({ rows: expect.any(Number), sum: load.sent });
    for (const rollup of ['datapoints_1m', 'datapoints_1h']) {
      const [rolled] = await query<{ count: number; sum: number }>(
        `SELECT toUInt32(sum(count)) AS count, sum(sum) AS sum FROM ${rollup} WHERE tags['scenario'] = '${SCENARIO}'`,
      );
      expect(rolled, rollup).toEqual({ count: raw!.rows, sum: load.sent });
    }
  });
});
