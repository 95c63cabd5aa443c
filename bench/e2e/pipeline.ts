/**
 * The pipeline under test, one of two ways:
 *   - `kafka`: `corral agent --sink kafka` -> the test broker (librdkafka's mock cluster) ->
 *     `corral collector` -> embedded ClickHouse, three processes;
 *   - `start`: `corral start`, agent and collector in one process over the in-process log.
 * Both run the real CLI with the cgroup, node and self sources, the generated cgroup tree as
 * cgroup.root, per-container StatsD ports, and the collector's HTTP API for POST /v0/query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpBase, selfMetrics, startAgent } from '../../test/helpers/agent-process.js';
import { startCollector } from '../../test/helpers/collector-process.js';
import { startKafkaBroker } from '../../test/helpers/kafka-broker/index.js';
import { collectorQuery, startCorral } from '../../test/helpers/start-process.js';
import { mockBrokerCpuSeconds } from '../shared/process-usage.js';

export interface PipelineOptions {
  cgroupRoot: string;
  flushInterval: string;
  /** A directory for V8 CPU profiles of the agent and the collector, or undefined. */
  profileDir?: string;
}

export interface Pipeline {
  readonly mode: 'kafka' | 'start';
  readonly statsdPort: number;
  readonly agentUrl: string;
  readonly collectorUrl: string;
  readonly agentPid: number;
  /** The same as agentPid under `corral start`. */
  readonly collectorPid: number;
  /** CPU seconds of the mock broker so far (0 without one). */
  brokerCpuSeconds(): number;
  stop(): Promise<void>;
}

const AGENT_FLAGS = (o: PipelineOptions) => [
  '--sources',
  'statsd,cgroup,node,self',
  '--cgroup-root',
  o.cgroupRoot,
  '--statsd-container-ports',
  'ephemeral',
  '--statsd-flush-interval',
  o.flushInterval,
  // Extra agent flags for experiments (later flags win), e.g. a larger per-container port buffer.
  ...(process.env.BENCH_E2E_AGENT_ARGS?.split(' ').filter((a) => a !== '') ?? []),
];
const PREFIX = 'corral.';
/**
 * The metrics topic's partitions (BENCH_E2E_METRICS_PARTITIONS for experiments). Four for one
 * collector with embedded storage, which inserts one chunk at a time: more partitions only cut
 * its inserts smaller. With 12 its inserts averaged 3,900 rows and took 1.1-1.2 cores, and
 * the agent beside it lost lines from 150,000/s; with 4, 7,800-12,000 rows, 0.9 cores, and
 * 200,000/s was stored exactly (docs/benchmarks.md).
 */
const METRICS_PARTITIONS = Number(process.env.BENCH_E2E_METRICS_PARTITIONS ?? 4);

const PRELOAD = join(import.meta.dirname, 'cpu-profile-preload.js');

/**
 * The agent's (or corral start's) environment: V8 flags for experiments
 * (BENCH_E2E_AGENT_NODE_OPTIONS, e.g. `--max-semi-space-size=2`), and with `dir` a CPU profile
 * into dir/name (cpu-profile-preload.ts).
 */
function agentEnv(dir: string | undefined, name: string): Record<string, string> {
  const flags = [
    ...(process.env.BENCH_E2E_AGENT_NODE_OPTIONS ?? '').split(' ').filter((f) => f !== ''),
    ...(dir === undefined ? [] : ['--import', PRELOAD]),
  ];
  return {
    ...(flags.length === 0 ? {} : { NODE_OPTIONS: flags.join(' ') }),
    ...(dir === undefined ? {} : { BENCH_PROFILE_OUT: join(dir, name) }),
  };
}

/** Runs `start` with `env` added to process.env, for a child the helper spawns with it. */
async function withEnv<T>(env: Record<string, string>, start: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await start();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function startKafkaPipeline(options: PipelineOptions): Promise<Pipeline> {
  const work = mkdtempSync(join(tmpdir(), 'corral-bench-e2e-'));
  const broker = await startKafkaBroker();
  await broker.createTopic(`${PREFIX}metrics`, METRICS_PARTITIONS, 1);
  for (const topic of ['events', 'metadata', 'deadletter'])
    await broker.createTopic(`${PREFIX}${topic}`, 1, 1);
  // Whatever started is stopped again if a later part fails to start.
  const started: (() => Promise<unknown>)[] = [() => broker.stop()];
  const cleanUp = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let agent: Awaited<ReturnType<typeof startAgent>>;
  let agentUrl: string;
  try {
    collector = await startCollector({
      brokers: broker.bootstrap,
      topicPrefix: PREFIX,
      dataDir: join(work, 'clickhouse'),
      groupId: 'bench-e2e',
      // The collector's default batching (the helper's batchIdle is shorter, for tests).
      args: ['--collector-batch-interval', '1s', '--collector-batch-idle', '200ms'],
      // The collector's environment drops CORRAL_* variables: the profile directory goes as a flag.
      ...(options.profileDir === undefined
        ? {}
        : {
            nodeArgs: ['--import', PRELOAD],
            env: { BENCH_PROFILE_OUT: join(options.profileDir, 'collector') },
          }),
    });
    started.push(() => collector.stop());
    agent = await withEnv(agentEnv(options.profileDir, 'agent'), () =>
      startAgent(
        [
          ...['--sink', 'kafka', '--kafka-brokers', broker.bootstrap.join(',')],
          ...['--kafka-topic-prefix', PREFIX, '--kafka-spool-dir', join(work, 'spool')],
          ...AGENT_FLAGS(options),
        ],
        'statsd,cgroup,node,self',
      ),
    );
    started.push(() => agent.stop());
    agentUrl = await httpBase(agent);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    mode: 'kafka',
    statsdPort: agent.udpPort,
    agentUrl,
    collectorUrl: collector.httpBase,
    agentPid: agent.child.pid!,
    collectorPid: collector.child.pid!,
    brokerCpuSeconds: mockBrokerCpuSeconds,
    async stop() {
      // The agent first: its last flush goes out before the collector stops.
      await agent.stop();
      await collector.stop();
      await broker.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function startAllInOne(options: PipelineOptions): Promise<Pipeline> {
  const work = mkdtempSync(join(tmpdir(), 'corral-bench-e2e-start-'));
  const corral = await startCorral(
    work,
    [...AGENT_FLAGS(options), '--collector-batch-interval', '1s'],
    agentEnv(options.profileDir, 'start'),
  );
  return {
    mode: 'start',
    statsdPort: corral.udpPort,
    agentUrl: corral.agentUrl,
    collectorUrl: corral.collectorUrl,
    agentPid: corral.child.pid!,
    collectorPid: corral.child.pid!,
    brokerCpuSeconds: () => 0,
    async stop() {
      await corral.kill('SIGTERM');
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Read-only SQL through the collector's POST /v0/query; rows as objects. */
export const query = collectorQuery;

/** A self-metric's value on an agent's or collector's /metrics, summed over its label sets (0 when absent). */
export async function metric(baseUrl: string, name: string): Promise<number> {
  let sum = 0;
  for (const [sample, value] of await selfMetrics(baseUrl))
    if (sample === name || sample.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** The per-container StatsD ports the agent has handed out. */
export async function containerEndpoints(
  agentUrl: string,
): Promise<{ container_id: string; port: number }[]> {
  const response = await fetch(`${agentUrl}/v0/statsd/endpoints`);
  if (!response.ok) return [];
  return ((await response.json()) as { endpoints: { container_id: string; port: number }[] }).endpoints;
}
