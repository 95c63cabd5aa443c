import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, counterTotal, type SinkLine, startAgent } from '../helpers/agent-process.js';
import { statsdClient } from '../helpers/statsd-client.js';

const SELF = { component: 'agent', host: hostname() };
const GOOD = 40;
const BAD = 3;

/** Raw datagrams, one line each (hot-shots sends only valid lines). */
async function sendRaw(port: number, lines: string[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const line of lines)
    await new Promise<void>((resolve, reject) =>
      socket.send(line, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  socket.close();
}

const selfPoints = (lines: SinkLine[], name: string) =>
  lines.filter((l) => l.name === name && l.tags.component === 'agent');

describe('the self source (real CLI, hot-shots, stdout sink)', () => {
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  it("emits the agent's own metrics as datapoints: StatsD counters' increases equal what was sent", {
    timeout: 30_000,
  }, async () => {
    agent = await startAgent(['--node-interval', '1s', '--statsd-flush-interval', '1s'], 'statsd,self');
    // The first reading (gauges only) before anything is sent: every counter starts from it.
    await agent.waitFor(
      (lines) => selfPoints(lines, 'corral_statsd_live_series').length > 0,
      'the first self reading',
    );
    const first = selfPoints(agent.lines, 'corral_statsd_live_series')[0]!;
    expect(first).toMatchObject({ kind: 'gauge', value: 0, unit: 'count', tags: SELF });
    // A first reading emits no counters.
    expect(selfPoints(agent.lines, 'corral_statsd_lines_received_total')).toEqual([]);

    const statsd = statsdClient(agent.udpPort);
    for (let i = 0; i < GOOD; i++) statsd.increment(`self.test.c${i % 4}`);
    await new Promise<void>((resolve, reject) => statsd.close((e) => (e ? reject(e) : resolve())));
    await sendRaw(
      agent.udpPort,
      Array.from({ length: BAD }, () => 'self.test.bad:1|zz'),
    );

    const received = (lines: SinkLine[]) => counterTotal(lines, 'corral_statsd_lines_received_total', SELF);
    await agent.waitFor((lines) => received(lines) === GOOD + BAD, `lines received = ${GOOD + BAD}`);
    const lines = agent.lines;
    expect(counterTotal(lines, 'corral_statsd_packets_received_total', SELF)).toBe(GOOD + BAD);
    expect(
      counterTotal(lines, 'corral_statsd_lines_rejected_total', { ...SELF, reason: 'unknown_type' }),
    ).toBe(BAD);
    const receivedPoints = selfPoints(lines, 'corral_statsd_lines_received_total');
    for (const p of receivedPoints) {
      expect(p).toMatchObject({ kind: 'counter', unit: 'count', tags: SELF });
      expect(p.rate).toBeGreaterThanOrEqual(0);
      // Stamped on the interval boundary, like every scraped source.
      expect(p.time_ms % 1000).toBe(0);
    }

    // The 4 series aggregated show up as live series in a later reading.
    await agent.waitFor(
      (all) => selfPoints(all, 'corral_statsd_live_series').some((p) => p.value === 4),
      'live series = 4',
    );
    // StatsD flushes are timed: the histogram's count and sum, and its quantiles.
    await agent.waitFor(
      (all) => counterTotal(all, 'corral_statsd_flush_duration_seconds_count', SELF) >= 1,
      'a timed flush',
    );
    const flushSum = selfPoints(agent.lines, 'corral_statsd_flush_duration_seconds_sum');
    expect(flushSum[0]).toMatchObject({ kind: 'counter', unit: 'seconds', tags: SELF });
    await agent.waitFor(
      (all) => selfPoints(all, 'corral_statsd_flush_duration_seconds_p99').length > 0,
      'a flush p99',
    );
    expect(selfPoints(agent.lines, 'corral_statsd_flush_duration_seconds_p99')[0]).toMatchObject({
      kind: 'gauge',
      unit: 'seconds',
    });
    // The scrape loop's own metrics, labels as tags.
    await agent.waitFor(
      (all) => counterTotal(all, 'corral_scrapes_total', { ...SELF, source: 'self' }) >= 1,
      'the self scrapes counted',
    );
    // The StatsD datapoints themselves carry no component tag.
    const statsdOf = (all: SinkLine[]) => all.filter((l) => l.name.startsWith('self.test.c'));
    await agent.waitFor(
      (all) => statsdOf(all).reduce((sum, l) => sum + l.value, 0) === GOOD,
      'the StatsD counters flushed',
    );
    const statsdPoints = statsdOf(agent.lines);
    expect(statsdPoints.every((l) => l.tags.component === undefined)).toBe(true);
  });
});
