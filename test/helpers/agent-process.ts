import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { childEnv } from './child-env.js';
import { followLogs } from './child-log.js';
import { waitForChild } from './child-process-waiter.js';

// From test/helpers/ under vitest, or dist/test/helpers/ when a benchmark runs compiled.
const HERE = import.meta.dirname;
export const REPO_ROOT = join(
  HERE,
  '..',
  '..',
  ...(basename(join(HERE, '..', '..')) === 'dist' ? ['..'] : []),
);
const CLI = join(REPO_ROOT, 'bin', 'corral.js');

/** A line of the stdout sink (docs/statsd.md). */
export interface SinkLine {
  name: string;
  kind: 'counter' | 'gauge' | 'timer' | 'set';
  time_ms: number;
  tags: Record<string, string>;
  value: number;
  rate?: number;
  unit?: string;
  container_id?: string;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  mean?: number;
  stddev?: number;
  percentiles?: Record<string, number>;
  dimensions?: Record<string, unknown>;
  /** Set on task lifecycle event lines ("task_state"), which share stdout with datapoints. */
  event?: string;
  /** On container metadata lines ("container_metadata"). */
  removed?: boolean;
  state?: string;
  previous_state?: string;
  reason?: string;
  exit_code?: number;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly udpPort: number;
  readonly tcpPort: number;
  /** Every sink line so far. */
  readonly lines: SinkLine[];
  /** Every JSON log line so far (stderr). */
  readonly logs: Record<string, unknown>[];
  /** Resolves when predicate holds over the lines received so far (checked on each new line). */
  waitFor(predicate: (lines: SinkLine[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the real CLI (`corral agent`) on ephemeral ports and follows its stdout and stderr;
 * rejects if it has not started within `startTimeoutMs`.
 */
export async function startAgent(
  extraArgs: string[] = [],
  sources = 'statsd',
  startTimeoutMs = 15_000,
): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--sources',
      sources,
      '--statsd-udp',
      '127.0.0.1:0',
      '--statsd-tcp',
      '127.0.0.1:0',
      '--log-format',
      'json',
      // No orchestrator probing, no fixed HTTP port, no state in the working tree: tests that
      // want them say so in extraArgs (later flags win).
      '--metadata',
      'none',
      '--agent-http',
      '127.0.0.1:0',
      '--agent-state-dir',
      mkdtempSync(join(tmpdir(), 'corral-agent-state-')),
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
  );
  const lines: SinkLine[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as SinkLine);
    notify();
  });
  const logs = followLogs(child.stderr!, notify);
  const exited = once(child, 'exit');

  const waitFor = (predicate: () => boolean, what: string, timeoutMs = 15_000) =>
    waitForChild(predicate, {
      child,
      waiters,
      name: 'agent',
      what,
      timeoutMs,
      detail: () => `stderr: ${JSON.stringify(logs.slice(-5))}`,
    });

  const portOf = (message: string) => {
    const log = logs.find((l) => l.msg === message);
    return Number(String(log?.address).split(':').pop());
  };
  const expectedListeners = sources.includes('statsd') ? 2 : 0;
  await waitFor(
    () =>
      logs.filter((l) => String(l.msg).startsWith('StatsD listening')).length === expectedListeners &&
      (expectedListeners > 0 || logs.some((l) => l.msg === 'scraping')),
    'the agent to start',
    startTimeoutMs,
  ).catch((error: unknown) => {
    // Not left running behind a failed test.
    child.kill('SIGKILL');
    throw error;
  });

  return {
    child,
    udpPort: portOf('StatsD listening on UDP'),
    tcpPort: portOf('StatsD listening on TCP'),
    lines,
    logs,
    waitFor: (predicate, what, timeoutMs) => waitFor(() => predicate(lines), what, timeoutMs),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Sum of a counter's values over every flush so far. */
export function counterTotal(lines: SinkLine[], name: string, tags: Record<string, string> = {}): number {
  return lines
    .filter((l) => l.name === name && l.kind === 'counter' && sameTags(l.tags, tags))
    .reduce((sum, l) => sum + l.value, 0);
}

export function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** The agent's HTTP API base URL, once it has logged where it listens. */
export async function httpBase(agent: AgentProcess): Promise<string> {
  const listening = (l: Record<string, unknown>) => l.msg === 'agent HTTP API listening';
  await agent.waitFor(() => agent.logs.some(listening), 'the HTTP API to listen');
  const address = agent.logs.find(listening)?.address as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

/**
 * The agent's self-metrics from its Prometheus /metrics: each sample by its name and labels as
 * exposed (`corral_spool_records`, `corral_spool_dropped_records_total{reason="corrupt"}`).
 */
export async function selfMetrics(base: string): Promise<Map<string, number>> {
  const response = await fetch(`${base}/metrics`);
  if (!response.ok) throw new Error(`GET ${base}/metrics: ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

export interface KafkaAgentFlagOptions {
  brokers: readonly string[];
  prefix: string;
  spoolDir: string;
  /** --kafka-request-timeout, when given. */
  requestTimeout?: string;
  /** --statsd-flush-interval; 200ms unless given. */
  flushInterval?: string;
}

/** The agent flags for the Kafka sink on `brokers` (topics `prefix`*, spool in `spoolDir`). */
export function kafkaAgentFlags(options: KafkaAgentFlagOptions): string[] {
  const { brokers, prefix, spoolDir, requestTimeout, flushInterval = '200ms' } = options;
  return [
    ...['--sink', 'kafka', '--kafka-brokers', brokers.join(',')],
    ...['--kafka-topic-prefix', prefix, '--kafka-spool-dir', spoolDir],
    ...(requestTimeout === undefined ? [] : ['--kafka-request-timeout', requestTimeout]),
    ...['--statsd-flush-interval', flushInterval],
  ];
}
