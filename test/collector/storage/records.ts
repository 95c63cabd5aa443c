/** Collector records for the storage tests. */
import type { CollectorRecord } from '../../../collector/model.js';
import type { Datapoint, MetricKind, TimerSummary } from '../../../lib/model/datapoint.js';
import type { Dimensions, TaskEvent } from '../../../lib/model/dimensions.js';

/** Recent enough for every TTL (rows older than a table's TTL are dropped on insert), on a whole hour. */
export const BASE_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;

/** Strings that need every kind of escaping the payload has. */
export const AWKWARD =
  'tab\there, line\nfeed, cr\rhere, back\\slash, \'quote\', "dq", {braces}:[x], ünïcødé ✓ 日本';

export function dimensions(overrides: Partial<Dimensions> = {}): Readonly<Dimensions> {
  return {
    cluster_id: 'prod-eu-1',
    agent_id: 'agent-S1',
    hostname: 'node-001.internal',
    framework_id: 'fw-0001',
    framework_name: 'marathon',
    framework_role: 'services',
    executor_id: 'checkout.instance-1',
    task_id: 'checkout.instance-1._app.1',
    task_name: 'checkout',
    container_id: 'c0ffee-1',
    labels: { team: 'payments', tier: 'backend' },
    ...overrides,
  };
}

export function point(
  name: string,
  kind: MetricKind,
  value: number,
  timeMs: number,
  extra: Partial<Datapoint> = {},
): Datapoint {
  return { name, kind, value, unit: '', timeMs, tags: {}, ...extra };
}

export function timerSummary(overrides: Partial<TimerSummary> = {}): TimerSummary {
  return {
    count: 10,
    sum: 100,
    min: 1,
    max: 40,
    mean: 10,
    stddev: 5,
    percentiles: { '50': 8, '90': 20, '99': 40 },
    approximate: false,
    ...overrides,
  };
}

/** A metrics batch; null for a batch without dimensions. */
export function metrics(
  datapoints: Datapoint[],
  dims: Readonly<Dimensions> | null = dimensions(),
): CollectorRecord {
  return { type: 'metrics', agentId: 'agent-1', batchId: 'run-1', dimensions: dims ?? undefined, datapoints };
}

export function taskEvent(
  state: TaskEvent['state'],
  timeMs: number,
  overrides: Partial<TaskEvent> = {},
): CollectorRecord {
  return {
    type: 'task_event',
    event: { timeMs, state, previousState: 'running', dimensions: dimensions(), ...overrides },
  };
}

/** ClickHouse's text form of a DateTime64(3) in the session time zone (UTC here). */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
