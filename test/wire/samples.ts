/** Model values covering every field the wire formats carry, shared by the wire tests. */
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions, TaskEvent } from '../../lib/model/dimensions.js';
import type { MetadataUpdate, MetricBatch } from '../../lib/wire/datapoint-codec.js';

export const CONTAINER_ID = '3f1c9e2a'.repeat(8);
const TIME_MS = 1_732_300_000_000;

export const nodeDimensions: Readonly<Dimensions> = Object.freeze({
  cluster_id: 'prod-eu-1',
  agent_id: 'S12',
  hostname: 'node-017',
});

export const containerDimensions: Readonly<Dimensions> = Object.freeze({
  cluster_id: 'prod-eu-1',
  agent_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-S12',
  hostname: 'node-017.eu-west-1.internal',
  framework_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-0001',
  framework_name: 'marathon',
  framework_role: 'services',
  executor_id: 'checkout.instance-3f1c9e2a',
  task_id: 'checkout.instance-3f1c9e2a._app.1',
  task_name: 'checkout',
  container_id: CONTAINER_ID,
  labels: Object.freeze({ team: 'payments', 'app.kubernetes.io/version': '2.14.1', ünïcode: 'välue ✓' }),
});

/** Every kind and optional field, attached to `dimensions` like the dimensions transform does. */
export function datapointsOfEveryKind(dimensions?: Readonly<Dimensions>): Datapoint[] {
  const points: Datapoint[] = [
    {
      name: 'http.requests',
      kind: 'counter',
      value: 1520.5,
      unit: '',
      timeMs: TIME_MS,
      tags: { env: 'prod', region: 'eu-west-1', endpoint: '/api/v1/items' },
      containerId: CONTAINER_ID,
      rate: 152.05,
    },
    {
      name: 'memory.usage_bytes',
      kind: 'gauge',
      value: -734_003_200.25,
      unit: 'bytes',
      timeMs: TIME_MS,
      tags: {},
      containerId: CONTAINER_ID,
    },
    {
      name: 'http.request.duration',
      kind: 'timer',
      value: 2,
      unit: 'ms',
      timeMs: TIME_MS,
      tags: { endpoint: '/api/v1/items' },
      containerId: CONTAINER_ID,
      timer: {
        count: 2.5,
        sum: 5,
        min: 1,
        max: 3,
        mean: 2,
        stddev: 1,
        percentiles: { '50': 1, '90': 3, '99': 3, '99.9': 3 },
        approximate: false,
      },
    },
    {
      name: 'queue.wait',
      kind: 'timer',
      value: 41.5,
      unit: '',
      timeMs: TIME_MS + 1,
      tags: { queue: 'orders' },
      timer: {
        count: 10_000,
        sum: 415_000,
        min: -2,
        max: 950.125,
        mean: 41.5,
        stddev: 12.25,
        percentiles: { '50': 40.1, '95': 77.7, '99.99': 900 },
        approximate: true,
        sketch: {
          relativeAccuracy: 0.01,
          positiveOffset: -35,
          positiveBins: [1, 0, 2.5, 7, 9990],
          negativeOffset: 3,
          negativeBins: [0.5],
          zeroCount: 1,
        },
      },
    },
    {
      name: 'users.active',
      kind: 'set',
      value: 3,
      unit: '',
      timeMs: TIME_MS,
      tags: { ключ: 'значение', emoji: '🐄' },
    },
  ];
  if (dimensions === undefined) return points;
  for (const point of points) {
    point.dimensions = dimensions;
    // A datapoint of a container's batch belongs to the container (the wire carries it once).
    if (dimensions.container_id !== undefined) point.containerId ??= dimensions.container_id;
  }
  return points;
}

/** A batch of every kind of datapoint; `null` for one whose datapoints carry no dimensions. */
export function sampleBatch(dimensions: Readonly<Dimensions> | null = containerDimensions): MetricBatch {
  const batch: MetricBatch = {
    agentId: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-S12',
    hostname: 'node-017',
    sentMs: TIME_MS + 250,
    batchId: 'lq3k2n-42',
    datapoints: datapointsOfEveryKind(dimensions ?? undefined),
  };
  if (dimensions !== null) batch.dimensions = dimensions;
  return batch;
}

export const taskEvents: TaskEvent[] = [
  { timeMs: TIME_MS, state: 'staging', previousState: '', dimensions: containerDimensions },
  {
    timeMs: TIME_MS + 5000,
    state: 'oom_killed',
    previousState: 'running',
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
    exitCode: 137,
    dimensions: containerDimensions,
  },
  {
    timeMs: TIME_MS + 6000,
    state: 'failed',
    previousState: 'starting',
    exitCode: -1,
    dimensions: nodeDimensions,
  },
  { timeMs: TIME_MS + 7000, state: 'lost', previousState: 'running', reason: 'agent gone', dimensions: {} },
];

export const metadataUpdates: MetadataUpdate[] = [
  { containerId: CONTAINER_ID, dimensions: containerDimensions, updatedMs: TIME_MS, removed: false },
  {
    containerId: 'gone',
    dimensions: { container_id: 'gone', labels: {} },
    updatedMs: TIME_MS + 1,
    removed: true,
  },
];
