/**
 * The steps every scenario ends with: stop the load, check the agent received every line
 * (anything else would be UDP loss, not the pipeline's doing), wait with the agent still
 * running until everything is stored and nothing is held anywhere, and reconcile exactly,
 * series by series.
 */
import { afterAll, beforeAll, expect, type TestContext } from 'vitest';
import { selfMetrics } from '../../helpers/agent-process.js';
import type { CollectorProcess } from '../../helpers/collector-process.js';
import { explainPipeline } from './explain.js';
import { SteadyLoad, type SteadyLoadOptions } from './load.js';
import {
  type FaultAgent,
  type FaultAgentOptions,
  type FaultPipeline,
  metricTotal,
  startFaultAgent,
  startFaultCollector,
  startFaultPipeline,
} from './pipeline.js';
import {
  httpQuery,
  type Query,
  sentBySeries,
  sorted,
  storedLines,
  storedSeries,
  waitForStored,
} from './reconciliation.js';
import { type ReliabilityRow, report } from './report.js';

/** Polls `read` until `done` holds on its value; returns that value. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      if (performance.now() > deadline) throw error;
    }
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Stops the load and checks the agent received every line sent (`extraLines`: lines sent
 * besides the load's); a shortfall would be UDP loss, which is not what a scenario tests.
 */
export async function stopLoad(load: SteadyLoad, agent: FaultAgent, extraLines = 0): Promise<void> {
  await load.stop();
  expect(load.errors).toBe(0);
  await pollUntil(
    async () => metricTotal(await agent.metrics(), 'corral_statsd_lines_received_total'),
    (received) => received === load.sent + extraLines,
    'the agent to receive every line sent',
    10_000,
  );
}

/**
 * Waits, while the agent still runs (its last lines go out with its next flush: a stopped
 * agent keeps unsent flushes in its spool for its next start), until `lines` of the scenario
 * are stored, the agent's spool is empty and the collector holds nothing more. Gives up
 * quietly after `timeoutMs`: the reconciliation then says what is missing.
 */
export async function settle(
  agent: FaultAgent,
  collectorIdle: () => Promise<boolean>,
  query: Query,
  scenario: string,
  lines: number,
  timeoutMs = 30_000,
): Promise<void> {
  await pollUntil(
    async () =>
      (await storedLines(query, scenario)) >= lines &&
      metricTotal(await agent.metrics(), 'corral_spool_records') === 0 &&
      (await collectorIdle()),
    (done) => done,
    `${lines} stored lines of ${scenario}`,
    timeoutMs,
  ).catch(() => {});
}

/** The collector process holds nothing: no consumer lag, no rows buffered. */
export function collectorProcessIdle(collectorBase: string): () => Promise<boolean> {
  return async () => {
    const m = await selfMetrics(collectorBase);
    return (
      metricTotal(m, 'corral_collector_consumer_lag') + metricTotal(m, 'corral_collector_buffered_rows') === 0
    );
  };
}

/** Traffic besides the load, reconciled in the same row: stored + dropped = sent. */
export interface OtherTraffic {
  sent: number;
  stored: number;
  /** Not stored, by documented reason. */
  dropped: Record<string, number>;
}

export interface LoadReconciliation {
  scenario: string;
  load: SteadyLoad;
  query: Query;
  recoveryMs: number | null;
  /** Lines of the load not stored, by documented reason (none by default). */
  dropped?: Record<string, number>;
  /** Read once everything settled. */
  other?: () => Promise<OtherTraffic>;
  /** Shown in the row's dropped column too, but not datapoints (poison messages). */
  extra?: Record<string, number>;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function addCounts(...all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, n] of Object.entries(counts)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/**
 * Exact: per series, the stored lines of the load are the sent ones; no (series, time) stored
 * twice; other traffic adds up. Records the row first, so that a failure still reports it.
 */
export async function reconcileLoad(context: TestContext, r: LoadReconciliation): Promise<ReliabilityRow> {
  const stored = await storedSeries(r.query, r.scenario);
  const dropped = r.dropped ?? {};
  const other = (await r.other?.()) ?? { sent: 0, stored: 0, dropped: {} };
  const row: ReliabilityRow = {
    scenario: r.scenario,
    sent: r.load.sent + other.sent,
    stored: stored.stored + other.stored,
    duplicates: stored.duplicates,
    dropped: addCounts(dropped, other.dropped, r.extra ?? {}),
    recoveryMs: r.recoveryMs,
  };
  report(context, row);
  expect(stored.duplicates, 'rows stored twice').toBe(0);
  expect(stored.stored + total(dropped), 'stored + dropped = sent, the load').toBe(r.load.sent);
  expect(other.stored + total(other.dropped), 'stored + dropped = sent, other traffic').toBe(other.sent);
  if (total(dropped) === 0) expect(sorted(stored.bySeries)).toEqual(sentBySeries(r.load));
  return row;
}

/** Inside a scenario's describe: a fresh pipeline before its tests, torn down after them. */
export function usePipeline(scenario: string, partitions?: number): () => FaultPipeline {
  let pipeline: FaultPipeline | undefined;
  beforeAll(async () => {
    pipeline = await startFaultPipeline(scenario, partitions);
  });
  afterAll(() => pipeline?.teardown());
  return () => pipeline!;
}

export interface LoadedPipeline {
  collector: CollectorProcess;
  agent: FaultAgent;
  /** The agent's spool and state: the same again for a restart. */
  agentDirs: FaultAgentOptions;
  query: Query;
  load: SteadyLoad;
  /** Both processes' delivery metrics and last logs, for a timeout's message. */
  explain: () => Promise<string>;
}

/**
 * The collector, the agent (with `agentArgs`) and the steady load, running; resolves once
 * `firstLines` (default 1) of the load are stored.
 */
export async function startLoaded(
  pipeline: FaultPipeline,
  options: { agentArgs?: string[]; load?: Omit<SteadyLoadOptions, 'scenario'>; firstLines?: number } = {},
): Promise<LoadedPipeline> {
  const collector = await startFaultCollector(pipeline, pipeline.dir('clickhouse'));
  const agentDirs = { spoolDir: pipeline.dir('spool'), stateDir: pipeline.dir('state') };
  const agent = await startFaultAgent(pipeline, { ...agentDirs, args: options.agentArgs });
  const query = httpQuery(collector.httpBase);
  const load = new SteadyLoad({ scenario: pipeline.scenario, ...options.load });
  load.start(agent.process.udpPort);
  const explain = explainPipeline({ agent, collector });
  await waitForStored(query, pipeline.scenario, options.firstLines ?? 1, performance.now(), 60_000, explain);
  return { collector, agent, agentDirs, query, load, explain };
}

/**
 * Waits until every line the load has sent so far is stored; resolves with the time that took
 * from now (the fault's end). A timeout says where the lines are held.
 */
export function waitForLoadStored(running: LoadedPipeline, timeoutMs = 60_000): Promise<number> {
  const { query, load, explain } = running;
  return waitForStored(query, load.scenario, load.sent, performance.now(), timeoutMs, explain);
}

/** Calls `sample` about every second until `ms` have passed; returns what it read. */
export async function sampleFor<T>(ms: number, sample: () => Promise<T>): Promise<T[]> {
  const until = performance.now() + ms;
  const samples: T[] = [];
  while (performance.now() < until) {
    samples.push(await sample());
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Math.min(1000, until - performance.now()))),
    );
  }
  return samples;
}

/**
 * The end of a scenario on a collector process: stop the load (`extraLines` sent to the agent
 * besides it), settle, reconcile.
 */
export async function finish(
  context: TestContext,
  running: { collector: CollectorProcess; agent: FaultAgent; query: Query; load: SteadyLoad },
  r: Omit<LoadReconciliation, 'scenario' | 'load' | 'query'> & { extraLines?: number },
): Promise<ReliabilityRow> {
  const { collector, agent, query, load } = running;
  await stopLoad(load, agent, r.extraLines);
  await settle(agent, collectorProcessIdle(collector.httpBase), query, load.scenario, load.sent);
  return reconcileLoad(context, { ...r, scenario: load.scenario, load, query });
}
