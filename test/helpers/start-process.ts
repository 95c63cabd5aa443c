import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './agent-process.js';
import { childEnv } from './child-env.js';
import { followLogs } from './child-log.js';
import { waitForChild } from './child-process-waiter.js';

const CLI = join(REPO_ROOT, 'bin', 'corral.js');

/** `corral start` as a user runs it, in its own working directory (data/ goes there). */
export interface StartProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly logs: Record<string, unknown>[];
  readonly udpPort: number;
  readonly agentUrl: string;
  readonly collectorUrl: string;
  /** A read-only query through the collector's POST /v0/query. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** The value of a self-metric on the agent's or the collector's /metrics (summed over labels). */
  metric(api: 'agent' | 'collector', name: string): Promise<number>;
  /** Sends the signal and resolves with the exit code and signal. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Flags that keep a test's corral to itself: ephemeral ports, StatsD only, no metadata probing. */
export const START_TEST_FLAGS = [
  '--sources',
  'statsd',
  '--statsd-udp',
  '127.0.0.1:0',
  '--statsd-tcp',
  'off',
  '--agent-http',
  '127.0.0.1:0',
  '--collector-http',
  '127.0.0.1:0',
  '--metadata',
  'none',
  '--log-format',
  'json',
];

export async function startCorral(
  cwd: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<StartProcess> {
  const child = spawn(process.execPath, [CLI, 'start', ...START_TEST_FLAGS, ...extraArgs], {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    notify();
  });
  const logs = followLogs(child.stderr!, notify);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  await waitForChild(() => stdout.some((line) => line.startsWith('Ctrl-C stops')), {
    child,
    waiters,
    name: 'corral start',
    what: 'the banner',
    timeoutMs: 30_000,
    detail: () => `stdout: ${stdout.join('\n')} stderr: ${JSON.stringify(logs.slice(-5))}`,
  });
  const banner = stdout.join('\n');
  const udpPort = Number(/StatsD +udp [\d.]+:(\d+)/.exec(banner)?.[1]);
  const agentUrl = /Agent API +(http:\/\/[\d.:]+)\//.exec(banner)?.[1] ?? '';
  const collectorUrl = /Collector +(http:\/\/[\d.:]+)\//.exec(banner)?.[1] ?? '';
  return {
    child,
    stdout,
    logs,
    udpPort,
    agentUrl,
    collectorUrl,
    query: <T>(sql: string) => collectorQuery<T>(collectorUrl, sql),
    async metric(api, name) {
      const text = await (await fetch(`${api === 'agent' ? agentUrl : collectorUrl}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
        if (match?.[1] === name) sum += Number(match[2]);
      }
      return sum;
    },
    kill(signal) {
      child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** A read-only query through a collector's POST /v0/query (embedded storage), rows as objects. */
export async function collectorQuery<T = Record<string, unknown>>(
  collectorUrl: string,
  sql: string,
): Promise<T[]> {
  const response = await fetch(`${collectorUrl}/v0/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  const body = (await response.json()) as {
    columns: { name: string }[];
    rows: unknown[][];
    error?: string;
  };
  if (!response.ok) throw new Error(body.error);
  return body.rows.map((row) => Object.fromEntries(body.columns.map((c, i) => [c.name, row[i]])) as T);
}

/** `corral query` run as a user runs it, in `cwd`; its exit status, stdout and stderr. */
export function corralQuery(
  cwd: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, 'query', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: childEnv(),
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
