import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { EmbeddedStorage } from '../../collector/storage/embedded-storage.js';
import { REPO_ROOT } from './agent-process.js';
import { childEnv } from './child-env.js';
import { followLogs } from './child-log.js';
import { waitForChild } from './child-process-waiter.js';
import { type KafkaBroker, startKafkaBroker } from './kafka-broker/index.js';

const CLI = join(REPO_ROOT, 'bin', 'corral.js');

export interface CollectorProcess {
  readonly child: ChildProcess;
  /** Every JSON log line so far (stderr). */
  readonly logs: Record<string, unknown>[];
  /** The HTTP API, http://127.0.0.1:port. */
  readonly httpBase: string;
  /** Resolves when `predicate` holds over the log lines so far; rejects on timeout or exit. */
  waitForLog(
    predicate: (logs: Record<string, unknown>[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  /** The exit code and signal, once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface CollectorProcessOptions {
  brokers: readonly string[];
  topicPrefix: string;
  dataDir: string;
  groupId: string;
  /** More flags (later flags win). */
  args?: readonly string[];
  /** Options for node itself, before the CLI (a benchmark's --cpu-prof). */
  nodeArgs?: readonly string[];
  env?: Record<string, string>;
  /** Resolve once the collector has joined its group (default), or as soon as it listens. */
  waitFor?: 'consuming' | 'listening';
  /** How long each of those may take (default 30 s). */
  startTimeoutMs?: number;
}

/**
 * Runs the real CLI (`corral collector`) with embedded ClickHouse in `dataDir`, its HTTP API
 * on an ephemeral port, and follows its log.
 */
export async function startCollector(options: CollectorProcessOptions): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      CLI,
      'collector',
      '--log-format',
      'json',
      '--kafka-brokers',
      options.brokers.join(','),
      '--kafka-topic-prefix',
      options.topicPrefix,
      '--collector-group-id',
      options.groupId,
      '--collector-data-dir',
      options.dataDir,
      '--collector-http',
      '127.0.0.1:0',
      // A caught-up partition's chunk goes in once it is quiet for 100 ms (the rule production
      // runs, under every fault scenario), at most a second after its first message.
      '--collector-batch-interval',
      '1s',
      '--collector-batch-idle',
      '100ms',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv(options.env) },
  );
  const waiters = new Set<() => void>();
  const logs = followLogs(child.stderr!, () => {
    for (const waiter of waiters) waiter();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));

  const waitForLog = (
    predicate: (logs: Record<string, unknown>[]) => boolean,
    what: string,
    timeoutMs = 30_000,
  ) =>
    waitForChild(() => predicate(logs), {
      child,
      waiters,
      name: 'collector',
      what,
      timeoutMs,
      detail: () => `collector log: ${JSON.stringify(logs.slice(-5))}`,
    });

  const listening = (l: Record<string, unknown>) => l.msg === 'collector HTTP API listening';
  try {
    await waitForLog((l) => l.some(listening), 'the collector HTTP API', options.startTimeoutMs);
    if ((options.waitFor ?? 'consuming') === 'consuming')
      await waitForLog(
        (l) => l.some((line) => line.msg === 'collector consuming'),
        'the collector to join its group',
        options.startTimeoutMs,
      );
  } catch (error) {
    // Not left running behind a failed test.
    child.kill('SIGKILL');
    throw error;
  }
  const port = (logs.find(listening)!.address as { port: number }).port;

  return {
    child,
    logs,
    httpBase: `http://127.0.0.1:${port}`,
    waitForLog,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

/**
 * Runs `sql` against a collector's data directory (the collector must have exited: one process
 * at a time on a directory). libchdb serves one directory per process; it can open another
 * once the previous one is closed, which EmbeddedStorage.close does.
 */
export async function queryDataDir<T = Record<string, unknown>>(
  dataDir: string,
  sql: string,
  database = 'corral',
): Promise<T[]> {
  const storage = await EmbeddedStorage.open({ dataDir, database });
  try {
    return await storage.query<T>(sql);
  } finally {
    await storage.close();
  }
}

/** A test broker with the collector's topics: metrics (`metricsPartitions`), events, metadata, deadletter. */
export async function startBrokerWithCollectorTopics(
  prefix: string,
  metricsPartitions: number,
): Promise<KafkaBroker> {
  const broker = await startKafkaBroker();
  await broker.createTopic(`${prefix}metrics`, metricsPartitions, 1);
  for (const topic of ['events', 'metadata', 'deadletter'])
    await broker.createTopic(`${prefix}${topic}`, 1, 1);
  return broker;
}
