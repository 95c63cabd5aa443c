/**
 * bin/demo-app.js (the compose stack's StatsD traffic) against the real agent CLI: what the app
 * says it sent must come out of the agent's stdout sink, series by series.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, REPO_ROOT, type SinkLine, startAgent } from '../helpers/agent-process.js';

const DEMO = join(REPO_ROOT, 'bin', 'demo-app.js');

/** What the demo app prints on exit. */
interface Sent {
  ticks: number;
  requests: number;
  byRouteStatus: Record<string, number>;
  errors: number;
  errorsByRouteStatus: Record<string, number>;
  timings: Record<string, number>;
  users: string[];
  queueDepth: number;
}

interface DemoRun {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startDemo(port: number, args: string[]): DemoRun {
  const child = spawn(process.execPath, [DEMO, ...args], {
    env: { ...process.env, STATSD_HOST: '127.0.0.1', STATSD_PORT: String(port), DEMO_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (text: string) => stdout.push(text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout, stderr, exited };
}

function sentBy(run: DemoRun): Sent {
  const lines = run.stdout.join('').trim().split('\n');
  expect(lines, run.stderr.join('')).toHaveLength(1);
  return (JSON.parse(lines[0]!) as { sent: Sent }).sent;
}

const of = (lines: SinkLine[], name: string) => lines.filter((l) => l.name === name);
const sum = (lines: SinkLine[], pick: (l: SinkLine) => number) => lines.reduce((n, l) => n + pick(l), 0);

/** Counter totals by "route status", the demo app's own keys. */
function byRouteStatus(lines: SinkLine[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const l of lines) {
    const key = `${l.tags.route} ${l.tags.status}`;
    totals[key] = (totals[key] ?? 0) + l.value;
  }
  return totals;
}

describe('bin/demo-app.js against the real agent', () => {
  let agent: AgentProcess | undefined;
  let demo: DemoRun | undefined;
  afterEach(async () => {
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL');
    await agent?.stop();
    agent = undefined;
    demo = undefined;
  });

  it('sends requests, errors, latencies, a queue gauge and users that the agent aggregates as sent', async () => {
    agent = await startAgent(['--statsd-flush-interval', '200ms']);
    demo = startDemo(agent.udpPort, ['--count', '50', '--interval', '10', '--seed', '42']);
    expect(await demo.exited).toBe(0);
    const sent = sentBy(demo);
    expect(sent.ticks).toBe(50);
    expect(sent.requests).toBeGreaterThanOrEqual(50 * 5);

    await agent.waitFor(
      (lines) =>
        sum(of(lines, 'demo.requests'), (l) => l.value) === sent.requests &&
        sum(of(lines, 'demo.errors'), (l) => l.value) === sent.errors &&
        sum(of(lines, 'demo.request_time'), (l) => l.count ?? 0) === sent.requests &&
        of(lines, 'demo.queue_depth').length > 0 &&
        of(lines, 'demo.users').length > 0,
      `every metric the demo app sent (${sent.requests} requests)`,
    );
    const lines = agent.lines.filter((l) => l.name.startsWith('demo.'));

    // The five series families, each of its kind, every line with the global DogStatsD tags.
    expect(new Set(lines.map((l) => `${l.name} ${l.kind}`))).toEqual(
      new Set([
        'demo.requests counter',
        'demo.errors counter',
        'demo.request_time timer',
        'demo.queue_depth gauge',
        'demo.users set',
      ]),
    );
    for (const l of lines) expect(l.tags).toMatchObject({ app: 'demo', env: 'test' });
    const tagKeys = (name: string) =>
      new Set(of(lines, name).map((l) => Object.keys(l.tags).sort().join(',')));
    expect(tagKeys('demo.requests')).toEqual(new Set(['app,env,route,status']));
    expect(tagKeys('demo.errors')).toEqual(new Set(['app,env,route,status']));
    expect(tagKeys('demo.request_time')).toEqual(new Set(['app,env,route']));
    expect(tagKeys('demo.queue_depth')).toEqual(new Set(['app,env,queue']));
    expect(tagKeys('demo.users')).toEqual(new Set(['app,env']));

    // Counters: exactly what was sent, per route and status; errors are the 5xx answers, a few %.
    expect(byRouteStatus(of(lines, 'demo.requests'))).toEqual(sent.byRouteStatus);
    expect(byRouteStatus(of(lines, 'demo.errors'))).toEqual(sent.errorsByRouteStatus);
    for (const l of of(lines, 'demo.errors')) expect(l.tags.status).toMatch(/^5\d\d$/);
    const fivexx = Object.entries(sent.byRouteStatus)
      .filter(([key]) => / 5\d\d$/.test(key))
      .reduce((n, [, count]) => n + count, 0);
    expect(sent.errors).toBe(fivexx);
    expect(sent.errors / sent.requests).toBeGreaterThan(0);
    expect(sent.errors / sent.requests).toBeLessThan(0.1);
    expect(new Set(of(lines, 'demo.requests').map((l) => l.tags.route))).toEqual(
      new Set(['/', '/api/orders', '/api/users', '/login']),
    );

    // Timers: one sample per request, per route, in ms.
    const timers = of(lines, 'demo.request_time');
    const samples: Record<string, number> = {};
    for (const t of timers) samples[t.tags.route!] = (samples[t.tags.route!] ?? 0) + t.count!;
    expect(samples).toEqual(sent.timings);
    for (const t of timers) {
      expect(t.unit).toBe('ms');
      expect(t.min).toBeGreaterThan(0);
      expect(t.max).toBeGreaterThanOrEqual(t.min!);
    }

    // Gauge: the last flush holds the last value sent.
    const gauges = of(lines, 'demo.queue_depth').sort((a, b) => a.time_ms - b.time_ms);
    expect(gauges.at(-1)!.value).toBe(sent.queueDepth);
    expect(gauges.every((g) => g.tags.queue === 'work' && g.value >= 0)).toBe(true);

    // Set: distinct users per interval; every user is in at least one interval.
    const sets = of(lines, 'demo.users');
    for (const s of sets) expect(s.value).toBeLessThanOrEqual(sent.users.length);
    expect(sum(sets, (s) => s.value)).toBeGreaterThanOrEqual(sent.users.length);
    expect(sent.users.length).toBeGreaterThan(1);
  });

  it('stops on SIGTERM after sending what it had buffered, and exits 0', async () => {
    agent = await startAgent(['--statsd-flush-interval', '200ms']);
    demo = startDemo(agent.udpPort, ['--interval', '20']);
    await agent.waitFor((lines) => of(lines, 'demo.requests').length > 0, 'the first requests');
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    const sent = sentBy(demo);
    expect(sent.ticks).toBeGreaterThan(0);
    expect(demo.stderr.join('')).toContain('stopping (SIGTERM)');
    await agent.waitFor(
      (lines) => sum(of(lines, 'demo.requests'), (l) => l.value) === sent.requests,
      `all ${sent.requests} requests, the last ones sent on close`,
    );
  });

  it('refuses a bad option with exit status 2 and its usage', async () => {
    demo = startDemo(8125, ['--count', 'many']);
    expect(await demo.exited).toBe(2);
    expect(demo.stderr.join('')).toMatch(/--count wants a positive integer[\s\S]*usage: demo-app\.js/);
    expect(demo.stdout.join('')).toBe('');
  });
});
