/**
 * The pipeline a fault scenario runs: the mock broker with the collector's topics, the real
 * agent CLI with the Kafka sink, the real collector CLI with embedded ClickHouse, each in its
 * own temporary directories, and a teardown that stops whatever is still running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AgentProcess,
  httpBase,
  kafkaAgentFlags,
  selfMetrics,
  startAgent,
} from '../../helpers/agent-process.js';
import {
  type CollectorProcess,
  type CollectorProcessOptions,
  startBrokerWithCollectorTopics,
  startCollector,
} from '../../helpers/collector-process.js';
import type { KafkaBroker } from '../../helpers/kafka-broker/index.js';

/** The agent's flush interval in the suite: short, so a scenario sees many flushes. */
export const FLUSH_MS = 500;
/** How long a CLI may take to start: scenarios run side by side, on a machine CI may load further. */
const START_TIMEOUT_MS = 60_000;

export interface FaultPipeline {
  readonly scenario: string;
  readonly broker: KafkaBroker;
  /** Topic prefix, consumer group and names unique to this run. */
  readonly prefix: string;
  readonly groupId: string;
  /** A temporary directory of the scenario; `dir(name)` makes one under it. */
  readonly root: string;
  dir(name: string): string;
  /** Runs `stop` at teardown (last registered, first run). */
  onTeardown(stop: () => Promise<unknown>): void;
  /** Stops every agent and collector started through it (SIGTERM), then the broker; removes the directories. */
  teardown(): Promise<void>;
}

/** A broker whose metrics topic has `partitions` partitions, and the scenario's directories. */
export async function startFaultPipeline(scenario: string, partitions = 4): Promise<FaultPipeline> {
  const prefix = `${scenario}-${process.pid}-${Date.now()}.`;
  const broker = await startBrokerWithCollectorTopics(prefix, partitions);
  const root = mkdtempSync(join(tmpdir(), `corral-faults-${scenario}-`));
  const stoppers: (() => Promise<unknown>)[] = [];
  return {
    scenario,
    broker,
    prefix,
    groupId: `collector-${prefix}`,
    root,
    dir: (name) => mkdtempSync(join(root, `${name}-`)),
    onTeardown: (stop) => stoppers.push(stop),
    async teardown() {
      for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => {});
      await broker.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A started agent with its HTTP API's base URL. */
export interface FaultAgent {
  readonly process: AgentProcess;
  readonly base: string;
  metrics(): Promise<Map<string, number>>;
}

export interface FaultAgentOptions {
  /** The Kafka sink's spool and the agent's state: the same ones again for a restart. */
  spoolDir: string;
  stateDir: string;
  args?: readonly string[];
}

/** `corral agent` (StatsD only, Kafka sink on the pipeline's broker, 500 ms flushes). */
export async function startFaultAgent(
  pipeline: FaultPipeline,
  options: FaultAgentOptions,
): Promise<FaultAgent> {
  const agent = await startAgent(
    [
      ...kafkaAgentFlags({
        brokers: pipeline.broker.bootstrap,
        prefix: pipeline.prefix,
        spoolDir: options.spoolDir,
        requestTimeout: '2s',
        flushInterval: `${FLUSH_MS}ms`,
      }),
      ...['--agent-state-dir', options.stateDir],
      ...(options.args ?? []),
    ],
    'statsd',
    START_TIMEOUT_MS,
  );
  pipeline.onTeardown(() => agent.stop());
  const base = await httpBase(agent);
  return { process: agent, base, metrics: () => selfMetrics(base) };
}

/** `corral collector` with embedded ClickHouse in `dataDir`, in the pipeline's group. */
export async function startFaultCollector(
  pipeline: FaultPipeline,
  dataDir: string,
  options: Partial<CollectorProcessOptions> = {},
): Promise<CollectorProcess> {
  const collector = await startCollector({
    brokers: pipeline.broker.bootstrap,
    topicPrefix: pipeline.prefix,
    dataDir,
    groupId: pipeline.groupId,
    startTimeoutMs: START_TIMEOUT_MS,
    ...options,
  });
  pipeline.onTeardown(() => collector.stop());
  return collector;
}

/** The sum of a metric's samples over all its labels (`name` or `name{...}`). */
export function metricTotal(metrics: Map<string, number>, name: string): number {
  let total = 0;
  for (const [sample, value] of metrics) if (sample === name || sample.startsWith(`${name}{`)) total += value;
  return total;
}

/** A metric's samples by one label's value, zero samples left out: `{ reason: count }`. */
export function metricByLabel(
  metrics: Map<string, number>,
  name: string,
  label: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`^${name}\\{(?:.*,)?${label}="([^"]*)"`);
  for (const [sample, value] of metrics) {
    const match = pattern.exec(sample);
    if (match && value !== 0) out[match[1]!] = (out[match[1]!] ?? 0) + value;
  }
  return out;
}
