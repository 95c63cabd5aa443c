/**
 * Every broker answering 800 ms late for 10 s under steady load (the agent's requests time
 * out after 2 s): sends are slower and larger, the collector's fetches and commits slower.
 */
import { describe, expect, it } from 'vitest';
import { metricTotal } from './harness/pipeline.js';
import { finish, sampleFor, startLoaded, usePipeline, waitForLoadStored } from './harness/scenario.js';

const FAULT_MS = 10_000;
const RTT_MS = 800;

describe('fault: 800 ms of added broker latency for 10 s', () => {
  const pipeline = usePipeline('broker-latency');

  it('keeps delivering, slower, and stores every line exactly once', {
    timeout: 120_000,
  }, async (context) => {
    const running = await startLoaded(pipeline());
    const { agent } = running;
    const { broker } = pipeline();
    await broker.rtt(-1, RTT_MS);
    const latencies = await sampleFor(
      FAULT_MS,
      async () => (await agent.metrics()).get('corral_kafka_produce_latency_seconds') ?? 0,
    );
    // Sends went on through the slow broker, each taking at least the added latency.
    expect(Math.max(...latencies)).toBeGreaterThanOrEqual(RTT_MS / 1000);
    await broker.rtt(-1, 0);
    const recoveryMs = await waitForLoadStored(running);
    expect(metricTotal(await agent.metrics(), 'corral_spool_dropped_records_total')).toBe(0);
    await finish(context, running, { recoveryMs });
  });
});
