/**
 * A burst of new series past the agent's series cap (statsd.maxSeries) during steady load:
 * the lines of new series beyond the cap are dropped and counted (cardinality_total), the ones
 * that fit are stored, and the load's existing series go on untouched.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { metricByLabel } from './harness/pipeline.js';
import { storedSeries } from './harness/reconciliation.js';
import { finish, startLoaded, usePipeline, waitForLoadStored } from './harness/scenario.js';

const MAX_SERIES = 100;
const BURST_SERIES = 1000;
const LINES_PER_DATAGRAM = 20;

describe('fault: a burst of new series past the cardinality cap', () => {
  const pipeline = usePipeline('cardinality-burst');

  it('drops and counts the lines past the cap, stores the rest and every line of the load exactly once', {
    timeout: 120_000,
  }, async (context) => {
    // The load's 8 series exist before the burst: it sends them in turn, and a flush is stored.
    const running = await startLoaded(pipeline(), {
      agentArgs: ['--statsd-max-series', String(MAX_SERIES)],
      firstLines: 8,
    });
    const { agent, query, load } = running;
    const scenario = load.scenario;
    expect(load.series).toHaveLength(8);

    // One line for each of BURST_SERIES new series (a request id in the name, say).
    const socket = createSocket('udp4');
    for (let from = 0; from < BURST_SERIES; from += LINES_PER_DATAGRAM) {
      const lines = Array.from(
        { length: LINES_PER_DATAGRAM },
        (_, i) => `faults.burst.s${from + i}:1|c|#scenario:${scenario}`,
      );
      await new Promise<void>((resolve, reject) =>
        socket.send(lines.join('\n'), agent.process.udpPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    }
    socket.close();
    const recoveryMs = await waitForLoadStored(running);

    const burst = () => storedSeries(query, scenario, 'faults.burst.');
    const dropped = async () =>
      metricByLabel(await agent.metrics(), 'corral_statsd_lines_dropped_total', 'reason');
    await finish(context, running, {
      recoveryMs,
      extraLines: BURST_SERIES,
      other: async () => ({ sent: BURST_SERIES, stored: (await burst()).stored, dropped: await dropped() }),
    });
    // Exactly the room under the cap was taken: the load's series and the burst's first ones.
    const { bySeries, stored, duplicates } = await burst();
    expect(Object.keys(await dropped())).toEqual(['cardinality_total']);
    expect(bySeries.size).toBe(MAX_SERIES - load.series.length);
    expect(stored).toBe(bySeries.size);
    expect(duplicates).toBe(0);
  });
});
