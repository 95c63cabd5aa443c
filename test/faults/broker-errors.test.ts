/**
 * The broker answering requests with errors for 10 s under steady load: produce requests
 * (the agent's sends fail and stay spooled), offset commits and fetches (the collector's). An
 * injected error is answered without the request being acted on (test/helpers/kafka-broker).
 *
 * Fetches answered NOT_LEADER_FOR_PARTITION (what a leader change looks like) cost the most:
 * kafkajs refreshes its metadata and rejoins the group on each, and backs off (up to ~30 s)
 * after consecutive failures, so the collector stores nothing for a while after the fault.
 */
import { describe, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import { ApiKey, ErrorCode } from '../helpers/kafka-broker/index.js';
import { metricTotal } from './harness/pipeline.js';
import {
  finish,
  pollUntil,
  sampleFor,
  startLoaded,
  usePipeline,
  waitForLoadStored,
} from './harness/scenario.js';

const FAULT_MS = 10_000;

describe('fault: the broker answering produce, commit and fetch requests with errors', () => {
  const pipeline = usePipeline('broker-errors');

  it('retries every failed request and stores every line exactly once', {
    timeout: 180_000,
  }, async (context) => {
    const running = await startLoaded(pipeline());
    const { collector, agent } = running;
    const commits = async () =>
      metricTotal(await selfMetrics(collector.httpBase), 'corral_collector_commits_total');
    const commitsBefore = await commits();
    const { broker } = pipeline();
    await broker.requestErrors(ApiKey.Fetch, ErrorCode.NOT_LEADER_FOR_PARTITION, 3);
    // Every second for 10 s, the next produce requests and commits fail.
    let second = 0;
    await sampleFor(FAULT_MS, async () => {
      const produceError =
        second++ % 2 === 0 ? ErrorCode.NOT_LEADER_FOR_PARTITION : ErrorCode.REQUEST_TIMED_OUT;
      await broker.requestErrors(ApiKey.Produce, produceError, 3);
      await broker.requestErrors(ApiKey.OffsetCommit, ErrorCode.REQUEST_TIMED_OUT, 2);
    });
    const recoveryMs = await waitForLoadStored(running, 90_000);
    // The errors were met: sends failed and were retried, commits went on.
    expect(metricTotal(await agent.metrics(), 'corral_kafka_send_failures_total')).toBeGreaterThan(0);
    // A commit's retries back off, so the first one after the errors may come after the rows.
    await pollUntil(commits, (n) => n > commitsBefore, 'a commit after the errors', 60_000);
    await finish(context, running, { recoveryMs });
  });
});
