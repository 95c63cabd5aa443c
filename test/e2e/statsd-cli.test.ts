import { once } from 'node:events';
import net from 'node:net';
import { StatsD } from 'hot-shots';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AgentProcess,
  counterTotal,
  type SinkLine,
  sameTags,
  startAgent,
} from '../helpers/agent-process.js';

/** hot-shots client; errors fail the test instead of being swallowed. */
function client(port: number, protocol: 'udp' | 'tcp'): StatsD {
  return new StatsD({
    host: '127.0.0.1',
    port,
    protocol,
    globalTags: { env: 'test' },
    errorHandler: (error: Error) => {
      throw error;
    },
  });
}

function close(statsd: StatsD): Promise<void> {
  return new Promise((resolve, reject) => statsd.close((error) => (error ? reject(error) : resolve())));
}

const find = (lines: SinkLine[], name: string, kind: SinkLine['kind']) =>
  lines.filter((l) => l.name === name && l.kind === kind);

describe('corral agent end to end (real CLI process, hot-shots client)', () => {
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  const transports = [
    { protocol: 'udp', receiver: 'native' },
    { protocol: 'udp', receiver: 'dgram' },
    { protocol: 'tcp', receiver: 'native' },
  ] as const;
  for (const { protocol, receiver } of transports) {
    it(`aggregates hot-shots metrics sent over ${protocol} (UDP receiver ${receiver}) and prints them on stdout`, async () => {
      agent = await startAgent(['--statsd-flush-interval', '300ms', '--statsd-udp-receiver', receiver]);
      expect(agent.logs.find((l) => l.msg === 'StatsD listening on UDP')?.receiver).toBe(receiver);
      const statsd = client(protocol === 'udp' ? agent.udpPort : agent.tcpPort, protocol);
      for (let i = 0; i < 100; i++) statsd.increment('requests', 2, { route: '/api' });
      for (let i = 1; i <= 10; i++) statsd.timing('latency', i * 10);
      statsd.gauge('queue.depth', 42);
      for (const user of ['ann', 'bob', 'ann', 'cy']) statsd.set('users', user);
      await close(statsd);

      const tags = { env: 'test', route: '/api' };
      await agent.waitFor((lines) => counterTotal(lines, 'requests', tags) === 200, 'requests counter = 200');
      await agent.waitFor((lines) => find(lines, 'latency', 'timer').length > 0, 'latency timer');
      await agent.waitFor((lines) => find(lines, 'users', 'set').length > 0, 'users set');

      const timers = find(agent.lines, 'latency', 'timer');
      // All ten samples usually land in one interval; when split, counts still add up.
      expect(timers.reduce((n, t) => n + (t.count ?? 0), 0)).toBe(10);
      if (timers.length === 1) {
        expect(timers[0]).toMatchObject({ unit: 'ms', min: 10, max: 100, mean: 55, sum: 550 });
        expect(timers[0]!.percentiles).toEqual({ '50': 50, '90': 90, '95': 100, '99': 100 });
      }
      const gauge = find(agent.lines, 'queue.depth', 'gauge')[0]!;
      expect(gauge.value).toBe(42);
      expect(gauge.tags).toEqual({ env: 'test' });
      const sets = find(agent.lines, 'users', 'set');
      if (sets.length === 1) expect(sets[0]!.value).toBe(3);
      for (const line of agent.lines) {
        expect(line.time_ms % 300).toBe(0); // stamped with aligned interval ends
      }
      // Rates are per second of the interval: 0.3 s, or less for the first one after start.
      const firstBoundary = Math.min(...agent.lines.map((l) => l.time_ms));
      for (const counter of agent.lines.filter((l) => l.name === 'requests' && sameTags(l.tags, tags))) {
        const seconds = counter.value / counter.rate!;
        if (counter.time_ms > firstBoundary) expect(seconds).toBeCloseTo(0.3, 9);
        else expect(seconds > 0 && seconds <= 0.3).toBe(true);
      }
    });
  }

  it('reassembles TCP lines split across writes and keeps good lines beside bad ones', async () => {
    agent = await startAgent(['--statsd-flush-interval', '300ms']);
    const socket = net.connect(agent.tcpPort, '127.0.0.1');
    await once(socket, 'connect');
    const write = (text: string) => new Promise<void>((resolve) => socket.write(text, () => resolve()));
    await write('split.coun');
    await write('ter:4|c\nbroken:x|c\nsplit.counter:');
    await write('6|c|#a:1\nsplit.counter:5|c\n_e{1,1}:a|b\nno_newline_at_end:1|c');
    socket.end();
    await once(socket, 'close');

    await agent.waitFor(
      (lines) =>
        counterTotal(lines, 'split.counter') === 9 &&
        counterTotal(lines, 'split.counter', { a: '1' }) === 6 &&
        counterTotal(lines, 'no_newline_at_end') === 1,
      'split counters',
    );
    await agent.waitFor(
      () => agent!.logs.filter((l) => l.msg === 'rejected StatsD line').length === 2,
      'two rejected-line logs',
    );
    const reasons = agent.logs.filter((l) => l.msg === 'rejected StatsD line').map((l) => l.reason);
    expect(reasons.sort()).toEqual(['not_a_number', 'unsupported']);
  });

  it('flushes what it holds and exits 0 on SIGTERM', async () => {
    agent = await startAgent(['--statsd-flush-interval', '1m']);
    const statsd = client(agent.udpPort, 'udp');
    statsd.increment('before.stop', 7);
    await close(statsd);
    // Wait until the agent has the line (its self-metric), then stop: the final flush carries it.
    const socket = net.connect(agent.tcpPort, '127.0.0.1');
    socket.end('marker:1|c\n');
    await once(socket, 'close');
    const code = await agent.stop();
    expect(code).toBe(0);
    expect(counterTotal(agent.lines, 'marker')).toBe(1);
    expect(counterTotal(agent.lines, 'before.stop', { env: 'test' })).toBe(7);
    agent = undefined;
  });
});
