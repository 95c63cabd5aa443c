/**
 * What a timed-out scenario says about where its lines are: the agent's and the collector's
 * delivery metrics and their last log lines, so a CI failure can be read without a rerun.
 */
import { selfMetrics } from '../../helpers/agent-process.js';
import type { CollectorProcess } from '../../helpers/collector-process.js';
import { type FaultAgent, metricTotal } from './pipeline.js';

const AGENT_METRICS = [
  'corral_statsd_lines_received_total',
  'corral_kafka_records_sent_total',
  'corral_kafka_send_failures_total',
  'corral_spool_records',
  'corral_spool_dropped_records_total',
];
const COLLECTOR_METRICS = [
  'corral_collector_consumer_lag',
  'corral_collector_buffered_rows',
  'corral_collector_messages_consumed_total',
  'corral_collector_rows_inserted_total',
  'corral_collector_commits_total',
  'corral_collector_insert_failures_total',
];
const LOG_LINES = 8;

async function metricsOf(base: string, names: readonly string[]): Promise<string> {
  try {
    const metrics = await selfMetrics(base);
    return names.map((name) => `${name}=${metricTotal(metrics, name)}`).join(' ');
  } catch (error) {
    return `(metrics unreadable: ${error})`;
  }
}

const lastLogs = (logs: readonly Record<string, unknown>[]) =>
  logs
    .slice(-LOG_LINES)
    .map((line) => `    ${JSON.stringify(line)}`)
    .join('\n');

/** A multi-line account of both processes, for an error message. */
export function explainPipeline(running: {
  agent: FaultAgent;
  collector: CollectorProcess;
}): () => Promise<string> {
  return async () =>
    [
      '',
      `  agent: ${await metricsOf(running.agent.base, AGENT_METRICS)}`,
      lastLogs(running.agent.process.logs),
      `  collector: ${await metricsOf(running.collector.httpBase, COLLECTOR_METRICS)}`,
      lastLogs(running.collector.logs),
    ].join('\n');
}
