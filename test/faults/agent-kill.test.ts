/**
 * The agent SIGKILLed with a non-empty spool while a send is likely in flight (the broker
 * answers 1.5 s late), then restarted on the same spool: it sends what its previous run left
 * unacknowledged, a batch Kafka took but the agent never heard back about is sent again and
 * dropped by the collector by its batch id, and every line is stored once.
 *
 * A SIGKILL loses the interval being aggregated (docs/operations.md). To reconcile exactly,
 * the load stops before the kill and a marker line is sent last; the kill waits until a batch
 * holding the marker is in a whole frame of the spool on disk: every line sent to that agent
 * was flushed and spooled before it died.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { selfMetrics } from '../helpers/agent-process.js';
import { metricTotal, startFaultAgent } from './harness/pipeline.js';
import { waitForStored } from './harness/reconciliation.js';
import { finish, pollUntil, startLoaded, stopLoad, usePipeline } from './harness/scenario.js';
import { spooledDatapointNames } from './harness/spool-files.js';

const MARKER = 'faults.marker.agent_kill';

async function sendUdp(port: number, line: string): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(line, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  socket.close();
}

describe('fault: the agent killed (SIGKILL) with a non-empty spool, then restarted', () => {
  const pipeline = usePipeline('agent-kill');

  it('sends the spooled batches after the restart and stores every line exactly once', {
    timeout: 120_000,
  }, async (context) => {
    const { collector, agent: first, agentDirs: dirs, query, load } = await startLoaded(pipeline());
    const scenario = load.scenario;

    // Slow sends: the spool fills behind the one in flight.
    await pipeline().broker.rtt(-1, 1500);
    await pollUntil(
      async () => metricTotal(await first.metrics(), 'corral_spool_records'),
      (records) => records >= 8,
      'a backlog in the spool',
    );
    await stopLoad(load, first);
    await sendUdp(first.process.udpPort, `${MARKER}:1|c|#scenario:${scenario}`);
    await pollUntil(
      async () => spooledDatapointNames(dirs.spoolDir).has(MARKER),
      (spooled) => spooled,
      'the flush of the last line to be spooled',
      10_000,
    );
    const sentToFirst = load.sent;
    const spooledAtKill = metricTotal(await first.metrics(), 'corral_spool_records');
    expect(spooledAtKill).toBeGreaterThan(0);
    first.process.child.kill('SIGKILL');
    expect(await first.process.stop()).toBe(null);

    await pipeline().broker.rtt(-1, 0);
    const second = await startFaultAgent(pipeline(), dirs);
    const restartedAt = performance.now();
    // It opened the spool its predecessor left: what Kafka had not acknowledged.
    const opened = second.process.logs.find((l) => l.msg === 'Kafka sink');
    expect(opened?.spooled).toBeGreaterThan(0);
    expect(opened?.spooled).toBeLessThanOrEqual(spooledAtKill);
    load.start(second.process.udpPort);
    const recoveryMs = await waitForStored(query, scenario, sentToFirst, restartedAt);
    // The new run carries the load for a while too (1000 lines, 5 s), stored as it goes.
    await pollUntil(
      async () => load.sent,
      (sent) => sent >= sentToFirst + 1000,
      'more load',
    );
    await waitForStored(query, scenario, load.sent, performance.now());

    const duplicateBatches = async () =>
      metricTotal(await selfMetrics(collector.httpBase), 'corral_collector_duplicate_batches_total');
    await finish(
      context,
      { collector, agent: second, query, load },
      { recoveryMs, extraLines: -sentToFirst },
    );
    console.log(
      `${scenario}: ${opened?.spooled} batches spooled at restart, ${await duplicateBatches()} re-sent batches dropped`,
    );
  });
});
