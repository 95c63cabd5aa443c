/**
 * Known data for the dashboard and alert tests, as the agents and collectors would send it,
 * stored through the collector's own RowsBuilder and insert path: an hour of 10 s intervals
 * of two nodes, four containers of three tasks in two frameworks, their StatsD metrics,
 * task events, container metadata and the agents' and collector's self-metrics.
 *
 * Two data sets: `incident` crosses every alert's threshold in the last 10 minutes (errors,
 * an OOM kill, drops, a dead letter, lag; failures over the hour), `healthy` has the same
 * traffic and stays under every one.
 */
import type { CollectorRecord } from '../../collector/model.js';
import { RowsBuilder } from '../../collector/sinks/clickhouse/rows.js';
import type { Storage } from '../../collector/storage/storage.js';
import type { Datapoint, TimerSummary } from '../../lib/model/datapoint.js';
import type { Dimensions, TaskEvent, TaskStateName } from '../../lib/model/dimensions.js';

export type DataSet = 'incident' | 'healthy';

export const HOUR = 3_600_000;
export const STEP = 10_000;
export const STEPS = 360;
/** The first interval: a whole hour three hours ago (inside every TTL, never ahead of now). */
export const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
/** The end of the dashboards' time range and the alerts' "now". */
export const T_END = T0 + HOUR;
/** From this step on (T0 + 50 min, the alerts' 10 minute window) the incident shows. */
export const INCIDENT_STEP = 300;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
export const CLUSTER = 'prod';

export interface ContainerSpec {
  id: string;
  host: string;
  framework: string;
  task: string;
  taskId: string;
  cores: number;
  cpuLimit: number;
  memory: number;
  memoryLimit: number;
  /** Bytes per second. */
  read: number;
  write: number;
  rx: number;
  tx: number;
}

export const CONTAINERS: readonly ContainerSpec[] = [
  {
    id: 'c-checkout-1',
    host: 'node-1',
    framework: 'marathon',
    task: 'checkout',
    taskId: 'checkout.a1',
    cores: 0.5,
    cpuLimit: 1,
    memory: 256 * MiB,
    memoryLimit: GiB,
    read: 4096,
    write: 8192,
    rx: 1000,
    tx: 2000,
  },
  {
    id: 'c-checkout-2',
    host: 'node-2',
    framework: 'marathon',
    task: 'checkout',
    taskId: 'checkout.a2',
    cores: 0.25,
    cpuLimit: 1,
    memory: 128 * MiB,
    memoryLimit: GiB,
    read: 1024,
    write: 2048,
    rx: 500,
    tx: 700,
  },
  {
    id: 'c-search-1',
    host: 'node-2',
    framework: 'marathon',
    task: 'search',
    taskId: 'search.a1',
    cores: 1,
    cpuLimit: 2,
    memory: 512 * MiB,
    memoryLimit: 2 * GiB,
    read: 0,
    write: 0,
    rx: 3000,
    tx: 6000,
  },
  {
    id: 'c-etl-1',
    host: 'node-1',
    framework: 'spark',
    task: 'etl',
    taskId: 'etl.a1',
    cores: 2,
    cpuLimit: 4,
    memory: 900 * MiB,
    memoryLimit: GiB,
    read: 1_000_000,
    write: 500_000,
    rx: 100,
    tx: 100,
  },
];

export interface NodeSpec {
  host: string;
  idle: number;
  user: number;
  system: number;
  memoryTotal: number;
  memoryAvailable: number;
  load1: number;
  fsUsed: number;
  fsCapacity: number;
}

export const NODES: readonly NodeSpec[] = [
  {
    host: 'node-1',
    idle: 70,
    user: 20,
    system: 10,
    memoryTotal: 16 * GiB,
    memoryAvailable: 8 * GiB,
    load1: 1.5,
    fsUsed: 50 * GiB,
    fsCapacity: 100 * GiB,
  },
  {
    host: 'node-2',
    idle: 40,
    user: 45,
    system: 15,
    memoryTotal: 16 * GiB,
    memoryAvailable: 4 * GiB,
    load1: 3,
    fsUsed: 90 * GiB,
    fsCapacity: 100 * GiB,
  },
];
export const UPTIME_START = 100_000;
export const COLLECTOR_HOST = 'collector-1';

/** The StatsD timer every checkout container sends each interval. */
export const LATENCY: TimerSummary = {
  count: 100,
  sum: 2500,
  min: 2,
  max: 120,
  mean: 25,
  stddev: 15,
  percentiles: { '50': 20, '90': 50, '99': 80 },
  approximate: false,
};

function containerDimensions(c: ContainerSpec): Readonly<Dimensions> {
  return Object.freeze({
    cluster_id: CLUSTER,
    agent_id: `agent-${c.host}`,
    hostname: c.host,
    framework_id: `fw-${c.framework}`,
    framework_name: c.framework,
    framework_role: '*',
    executor_id: c.taskId,
    task_id: c.taskId,
    task_name: c.task,
    container_id: c.id,
    labels: Object.freeze({ team: c.framework === 'spark' ? 'data' : 'shop' }),
  });
}

const nodeDimensions = (host: string): Readonly<Dimensions> =>
  Object.freeze({ cluster_id: CLUSTER, agent_id: `agent-${host}`, hostname: host });

function gauge(
  name: string,
  value: number,
  timeMs: number,
  tags: Record<string, string>,
  unit = '',
): Datapoint {
  return { name, kind: 'gauge', value, unit, timeMs, tags };
}

function counter(
  name: string,
  increase: number,
  timeMs: number,
  tags: Record<string, string>,
  unit = '',
): Datapoint {
  return { name, kind: 'counter', value: increase, rate: increase / (STEP / 1000), unit, timeMs, tags };
}

const metrics = (dimensions: Readonly<Dimensions>, datapoints: Datapoint[]): CollectorRecord => ({
  type: 'metrics',
  agentId: dimensions.hostname ?? '',
  batchId: `${dimensions.hostname}-${datapoints[0]?.timeMs}`,
  dimensions,
  datapoints,
});

function containerPoints(c: ContainerSpec, step: number, set: DataSet): Datapoint[] {
  const t = T0 + step * STEP;
  const s = STEP / 1000;
  const base = { host: c.host, runtime: 'mesos' };
  const oomKill = set === 'incident' && c.id === 'c-etl-1' && step === 330 ? 1 : 0;
  const points = [
    counter('container.cpu.usage', c.cores * s, t, base, 'seconds'),
    gauge('container.cpu.limit', c.cpuLimit, t, base, 'cores'),
    counter('container.cpu.throttled_periods', 0, t, base, 'count'),
    gauge('container.memory.usage', c.memory, t, base, 'bytes'),
    gauge('container.memory.limit', c.memoryLimit, t, base, 'bytes'),
    gauge('container.memory.percent_of_limit', (100 * c.memory) / c.memoryLimit, t, base, 'percent'),
    counter('container.memory.oom_kills', oomKill, t, base, 'count'),
    counter('container.network.rx_bytes', c.rx * s, t, { ...base, interface: 'eth0' }, 'bytes'),
    counter('container.network.tx_bytes', c.tx * s, t, { ...base, interface: 'eth0' }, 'bytes'),
  ];
  // io per device and as the sum of devices (one device here: the same numbers).
  for (const device of ['total', '8:0']) {
    points.push(
      counter('container.io.read_bytes', c.read * s, t, { ...base, device }, 'bytes'),
      counter('container.io.write_bytes', c.write * s, t, { ...base, device }, 'bytes'),
    );
  }
  return points;
}

/** demo.errors per interval of one container. */
export function demoErrors(containerId: string, step: number, set: DataSet): number {
  return set === 'incident' && containerId === 'c-checkout-1' && step >= INCIDENT_STEP ? 30 : 1;
}

function appPoints(c: ContainerSpec, step: number, set: DataSet): Datapoint[] {
  const t = T0 + step * STEP;
  if (c.task === 'search') return [counter('demo.requests', 50, t, {})];
  if (c.task !== 'checkout') return [];
  return [
    counter('demo.requests', 100, t, {}),
    counter('demo.errors', demoErrors(c.id, step, set), t, {}),
    gauge('demo.queue', c.id === 'c-checkout-1' ? 5 : 7, t, {}),
    { name: 'demo.users', kind: 'set', value: 3, unit: '', timeMs: t, tags: {} },
    {
      name: 'demo.latency',
      kind: 'timer',
      value: LATENCY.mean,
      unit: 'ms',
      timeMs: t,
      tags: {},
      timer: LATENCY,
    },
  ];
}

function nodePoints(n: NodeSpec, step: number): Datapoint[] {
  const t = T0 + step * STEP;
  const s = STEP / 1000;
  const host = { host: n.host };
  const fs = { ...host, mountpoint: '/', device: '/dev/sda1', fstype: 'ext4' };
  return [
    gauge('node.cpu.percent', n.idle, t, { ...host, mode: 'idle' }, 'percent'),
    gauge('node.cpu.percent', n.user, t, { ...host, mode: 'user' }, 'percent'),
    gauge('node.cpu.percent', n.system, t, { ...host, mode: 'system' }, 'percent'),
    gauge('node.memory.total', n.memoryTotal, t, host, 'bytes'),
    gauge('node.memory.available', n.memoryAvailable, t, host, 'bytes'),
    gauge('node.load.1', n.load1, t, host, 'count'),
    gauge('node.uptime', UPTIME_START + step * s, t, host, 'seconds'),
    counter('node.network.rx.bytes', 100_000 * s, t, { ...host, interface: 'eth0' }, 'bytes'),
    counter('node.network.tx.bytes', 50_000 * s, t, { ...host, interface: 'eth0' }, 'bytes'),
    gauge('node.filesystem.used', n.fsUsed, t, fs, 'bytes'),
    gauge('node.filesystem.capacity', n.fsCapacity, t, fs, 'bytes'),
  ];
}

/** The agents' self-metrics per interval, as agent/sources/self writes them. */
export function agentSelfPoints(host: string, step: number, set: DataSet): Datapoint[] {
  const t = T0 + step * STEP;
  const tags = (labels: Record<string, string> = {}) => ({ component: 'agent', host, ...labels });
  const incident = set === 'incident';
  const late = step >= INCIDENT_STEP;
  return [
    counter(
      'corral_spool_dropped_records_total',
      incident && host === 'node-2' && late ? 25 : 0,
      t,
      tags({ reason: 'full' }),
      'count',
    ),
    counter('corral_spool_dropped_records_total', 0, t, tags({ reason: 'corrupt' }), 'count'),
    counter(
      'corral_statsd_lines_dropped_total',
      incident && host === 'node-1' && step >= 330 ? 5 : 0,
      t,
      tags({ reason: 'cardinality_total' }),
      'count',
    ),
    counter(
      'corral_statsd_udp_kernel_drops_total',
      incident && host === 'node-1' && late ? 10 : 0,
      t,
      tags(),
      'count',
    ),
    counter('corral_statsd_lines_received_total', 1000, t, tags(), 'count'),
    counter('corral_statsd_lines_rejected_total', 2, t, tags({ reason: 'not_a_number' }), 'count'),
    gauge('corral_spool_records', incident && host === 'node-2' && late ? 5000 : 0, t, tags(), 'count'),
  ];
}

/** The collector's self-metrics per interval, as collector/sources/self writes them. */
export function collectorSelfPoints(step: number, set: DataSet): Datapoint[] {
  const t = T0 + step * STEP;
  const tags = (labels: Record<string, string> = {}) => ({
    component: 'collector',
    host: COLLECTOR_HOST,
    ...labels,
  });
  const incident = set === 'incident';
  const lag = incident && step >= 270 ? 20_000 : 50;
  return [
    gauge('corral_collector_consumer_lag', lag, t, tags({ topic: 'metrics', partition: '0' }), 'count'),
    gauge('corral_collector_consumer_lag', lag, t, tags({ topic: 'metrics', partition: '1' }), 'count'),
    gauge('corral_collector_consumer_lag', 0, t, tags({ topic: 'events', partition: '0' }), 'count'),
    counter(
      'corral_collector_dead_letters_total',
      incident && step === 340 ? 3 : 0,
      t,
      tags({ reason: 'undecodable' }),
      'count',
    ),
    counter('corral_collector_insert_duration_seconds_sum', 0.5, t, tags({ table: 'datapoints' }), 'seconds'),
    counter('corral_collector_insert_duration_seconds_count', 10, t, tags({ table: 'datapoints' }), 'count'),
    gauge('corral_collector_insert_duration_seconds_p50', 0.04, t, tags({ table: 'datapoints' }), 'seconds'),
    gauge('corral_collector_insert_duration_seconds_p99', 0.2, t, tags({ table: 'datapoints' }), 'seconds'),
    counter('corral_collector_rows_inserted_total', 5000, t, tags({ table: 'datapoints' }), 'count'),
    counter('corral_collector_rows_inserted_total', 500, t, tags({ table: 'timer_summaries' }), 'count'),
    counter('corral_collector_messages_consumed_total', 100, t, tags({ topic: 'metrics' }), 'count'),
  ];
}

interface Termination {
  framework: string;
  task: string;
  state: TaskStateName;
  /** Minutes after T0. */
  minute: number;
}

const FAILURE = {
  failed: { reason: 'REASON_COMMAND_EXECUTOR_FAILED', exitCode: 1 },
  killed: { reason: 'REASON_EXECUTOR_TERMINATED', exitCode: 143 },
  oom_killed: { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', exitCode: 137 },
  lost: { reason: 'REASON_AGENT_DISCONNECTED', exitCode: undefined },
  finished: { reason: '', exitCode: 0 },
} as const;

export function terminations(set: DataSet): Termination[] {
  const checkout: TaskStateName[] =
    set === 'incident'
      ? [
          'oom_killed',
          'failed',
          'finished',
          'failed',
          'killed',
          'failed',
          'finished',
          'failed',
          'finished',
          'finished',
        ]
      : [
          'finished',
          'finished',
          'killed',
          'finished',
          'finished',
          'finished',
          'finished',
          'finished',
          'finished',
        ];
  const out: Termination[] = checkout.map((state, k) => ({
    framework: 'marathon',
    task: 'checkout',
    state,
    minute: 45 + k * 0.5,
  }));
  out.push(
    { framework: 'marathon', task: 'search', state: 'finished', minute: 30 },
    { framework: 'marathon', task: 'search', state: 'finished', minute: 31 },
  );
  for (let k = 0; k < 5; k++)
    out.push({ framework: 'spark', task: 'etl', state: 'finished', minute: 10 + k });
  out.push({
    framework: 'spark',
    task: 'etl',
    state: set === 'incident' ? 'oom_killed' : 'finished',
    minute: 55,
  });
  return out;
}

function taskEvents(set: DataSet): CollectorRecord[] {
  return terminations(set).flatMap((end, k) => {
    const taskId = `${end.task}.t${k}`;
    const containerId = `c-${end.task}-t${k}`;
    const host = end.framework === 'spark' ? 'node-1' : 'node-2';
    const dimensions = Object.freeze({
      cluster_id: CLUSTER,
      agent_id: `agent-${host}`,
      hostname: host,
      framework_id: `fw-${end.framework}`,
      framework_name: end.framework,
      framework_role: '*',
      executor_id: taskId,
      task_id: taskId,
      task_name: end.task,
      container_id: containerId,
      labels: Object.freeze({}),
    });
    const { reason, exitCode } = FAILURE[end.state as keyof typeof FAILURE];
    const running: TaskEvent = {
      timeMs: T0 + 60_000,
      state: 'running',
      previousState: 'starting',
      dimensions,
    };
    const ended: TaskEvent = {
      timeMs: T0 + end.minute * 60_000,
      state: end.state,
      previousState: 'running',
      ...(reason === '' ? {} : { reason }),
      ...(exitCode === undefined ? {} : { exitCode }),
      dimensions,
    };
    return [running, ended].map((event): CollectorRecord => ({ type: 'task_event', event }));
  });
}

function metadata(): CollectorRecord[] {
  const live = CONTAINERS.map(
    (c): CollectorRecord => ({
      type: 'metadata',
      update: { containerId: c.id, dimensions: containerDimensions(c), updatedMs: T0, removed: false },
    }),
  );
  const gone: CollectorRecord = {
    type: 'metadata',
    update: {
      containerId: 'c-checkout-old',
      dimensions: containerDimensions({ ...CONTAINERS[0]!, id: 'c-checkout-old', taskId: 'checkout.old' }),
      updatedMs: T0 + 60_000,
      removed: true,
    },
  };
  return [...live, gone];
}

/** Every record of the data set, in time order per interval. */
export function records(set: DataSet): CollectorRecord[] {
  const out: CollectorRecord[] = [...metadata(), ...taskEvents(set)];
  for (let step = 0; step < STEPS; step++) {
    for (const n of NODES) {
      out.push(metrics(nodeDimensions(n.host), nodePoints(n, step)));
      out.push(metrics(nodeDimensions(n.host), agentSelfPoints(n.host, step, set)));
    }
    for (const c of CONTAINERS) {
      out.push(metrics(containerDimensions(c), containerPoints(c, step, set)));
      const app = appPoints(c, step, set);
      if (app.length > 0) out.push(metrics(containerDimensions(c), app));
    }
    out.push(metrics(Object.freeze({ hostname: COLLECTOR_HOST }), collectorSelfPoints(step, set)));
  }
  return out;
}

/** Stores the data set through the collector's RowsBuilder, a few thousand rows per insert. */
export async function load(storage: Storage, set: DataSet): Promise<void> {
  const builder = new RowsBuilder();
  let inserts = 0;
  const flush = async () => {
    const invalid = builder.invalid;
    if (invalid.non_finite_value + invalid.time_out_of_range > 0)
      throw new Error(`invalid rows in the fixtures: ${JSON.stringify(invalid)}`);
    for (const payload of builder.payloads())
      await storage.insert(payload, { dedupToken: `dashboards:${set}:${++inserts}` });
    builder.reset();
  };
  for (const record of records(set)) {
    builder.add(record);
    if (builder.rows >= 8000) await flush();
  }
  await flush();
}
