import { describe, expect, it } from 'vitest';
import type { DockerContainerInspect, DockerInfo } from '../../../agent/metadata/providers/docker/api.js';
import {
  containerMetadataOf,
  nodeDimensions,
  snapshotOf,
  taskObservationOf,
} from '../../../agent/metadata/providers/docker/mapping.js';
import {
  CONTAINER_NAMES,
  ENGINE_ID,
  EXPECTED_CONTAINERS,
  EXPECTED_SNAPSHOT,
  EXPECTED_TASKS,
  fixtureJson,
  HOSTNAME,
  ID,
  inspectFixture,
} from './fixtures.js';

const info = fixtureJson('info.json') as DockerInfo;
const swarmManagerInfo = fixtureJson('info-swarm-manager.json') as DockerInfo;

/** The redis-cache fixture with State (and optionally more) replaced. */
function redisWith(
  state: Partial<DockerContainerInspect['State']>,
  more: Partial<DockerContainerInspect> = {},
): DockerContainerInspect {
  const inspect = inspectFixture('redis-cache');
  return { ...inspect, ...more, State: { ...inspect.State, ...state } };
}

function recordSkips(): { reasons: string[]; onSkipped: (reason: string) => void } {
  const reasons: string[] = [];
  return { reasons, onSkipped: (reason) => reasons.push(reason) };
}

describe('nodeDimensions', () => {
  it('takes hostname from Name and agent_id from the engine ID; no cluster outside a swarm', () => {
    expect(nodeDimensions(info)).toEqual({ agent_id: ENGINE_ID, hostname: HOSTNAME });
  });

  it("takes cluster_id from a swarm manager's Swarm.Cluster.ID", () => {
    expect(nodeDimensions(swarmManagerInfo)).toEqual({
      cluster_id: 'abajmipo7b4xz5ip2nrla6b11',
      agent_id: '8c2e0b7a-19d4-4b6f-a0e3-5f7c9d1e2b84',
      hostname: 'manager-01',
    });
  });

  it('prefers the configured cluster id to the swarm one', () => {
    expect(nodeDimensions(swarmManagerInfo, 'dc1-prod')).toEqual({
      cluster_id: 'dc1-prod',
      agent_id: '8c2e0b7a-19d4-4b6f-a0e3-5f7c9d1e2b84',
      hostname: 'manager-01',
    });
    expect(nodeDimensions(info, 'dc1-prod')).toEqual({
      cluster_id: 'dc1-prod',
      agent_id: ENGINE_ID,
      hostname: HOSTNAME,
    });
  });
});

describe('containers and tasks from the fixtures', () => {
  it.each(CONTAINER_NAMES)('%s: container metadata', (name) => {
    expect(containerMetadataOf(inspectFixture(name))).toEqual(EXPECTED_CONTAINERS[name]);
  });

  it.each(CONTAINER_NAMES)('%s: task observation', (name) => {
    const skips = recordSkips();
    expect(taskObservationOf(inspectFixture(name), skips.onSkipped)).toEqual(EXPECTED_TASKS[name]);
    expect(skips.reasons).toEqual([]);
  });

  it('builds the whole snapshot in list order', () => {
    const inspects = CONTAINER_NAMES.map(inspectFixture);
    expect(snapshotOf(info, inspects)).toEqual(EXPECTED_SNAPSHOT);
  });

  it('gives each task its own dimensions object (the service may filter one without the other)', () => {
    const inspect = inspectFixture('shop-web-1');
    const container = containerMetadataOf(inspect);
    const task = taskObservationOf(inspect);
    expect(task?.dimensions).toEqual(container.dimensions);
    expect(task?.dimensions).not.toBe(container.dimensions);
    expect(task?.dimensions.labels).not.toBe(container.dimensions.labels);
  });
});

describe('labels and addresses', () => {
  it('keeps a label named image over Config.Image', () => {
    const inspect = inspectFixture('batch-import');
    const labelled = { ...inspect, Config: { ...inspect.Config, Labels: { image: 'import-v2' } } };
    expect(containerMetadataOf(labelled).dimensions.labels).toEqual({ image: 'import-v2' });
  });

  it('takes null Labels and null Networks as none', () => {
    const inspect = inspectFixture('redis-cache');
    const bare = {
      ...inspect,
      Config: { Image: 'redis:7.4', Labels: null },
      NetworkSettings: { Networks: null },
    };
    expect(containerMetadataOf(bare)).toEqual({
      containerId: ID.redis,
      dimensions: {
        task_id: ID.redis,
        task_name: 'redis-cache',
        container_id: ID.redis,
        labels: { image: 'redis:7.4' },
      },
      ips: [],
    });
  });

  it('lists an address shared by two networks once', () => {
    const inspect = inspectFixture('redis-cache');
    const twice = {
      ...inspect,
      NetworkSettings: {
        Networks: {
          bridge: { IPAddress: '172.17.0.2', GlobalIPv6Address: '2001:db8:1::2' },
          macvlan: { IPAddress: '172.17.0.2', GlobalIPv6Address: '' },
          host: null,
        },
      },
    };
    expect(containerMetadataOf(twice).ips).toEqual(['172.17.0.2', '2001:db8:1::2']);
  });
});

describe('task states from inspect', () => {
  const dimensions = EXPECTED_CONTAINERS['redis-cache'].dimensions;

  it('created: staging since the container was created', () => {
    const inspect = redisWith({ Status: 'created', StartedAt: '0001-01-01T00:00:00Z' });
    expect(taskObservationOf(inspect)).toEqual({
      key: ID.redis,
      state: 'staging',
      sinceMs: Date.UTC(2025, 2, 13, 21, 15, 39, 632),
      dimensions,
    });
  });

  it('restarting: starting, time unknown, with the error that made it restart', () => {
    const inspect = redisWith({ Status: 'restarting', ExitCode: 1, Error: 'failed to create task: ENOSPC' });
    expect(taskObservationOf(inspect)).toEqual({
      key: ID.redis,
      state: 'starting',
      reason: 'failed to create task: ENOSPC',
      dimensions,
    });
  });

  it('paused: still running since it started', () => {
    expect(taskObservationOf(redisWith({ Status: 'paused' }))).toEqual({
      key: ID.redis,
      state: 'running',
      sinceMs: Date.UTC(2025, 2, 13, 21, 15, 40, 7),
      dimensions,
    });
  });

  it.each([
    [0, false, 'finished'],
    [143, false, 'killed'],
    [2, false, 'failed'],
    [0, true, 'oom_killed'],
  ] as const)('dead with exit code %i, OOMKilled %s: %s', (exitCode, oomKilled, state) => {
    const inspect = redisWith({
      Status: 'dead',
      ExitCode: exitCode,
      OOMKilled: oomKilled,
      FinishedAt: '2025-03-14T10:00:00.5Z',
    });
    expect(taskObservationOf(inspect)).toEqual({
      key: ID.redis,
      state,
      sinceMs: Date.UTC(2025, 2, 14, 10, 0, 0, 500),
      exitCode,
      ...(oomKilled ? { reason: 'OOMKilled' } : {}),
      dimensions,
    });
  });

  it('exited after an error Docker recorded: failed with that reason', () => {
    const inspect = redisWith({
      Status: 'exited',
      ExitCode: 127,
      Error: 'exec: "redis-serve": executable file not found in $PATH',
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    });
    expect(taskObservationOf(inspect)).toEqual({
      key: ID.redis,
      state: 'failed',
      exitCode: 127,
      reason: 'exec: "redis-serve": executable file not found in $PATH',
      dimensions,
    });
  });

  it('removing: no task, and not counted as skipped', () => {
    const skips = recordSkips();
    expect(taskObservationOf(redisWith({ Status: 'removing' }), skips.onSkipped)).toBeUndefined();
    expect(skips.reasons).toEqual([]);
  });

  it('an unknown status: no task, counted as unknown_state; the container stays', () => {
    const skips = recordSkips();
    const inspect = redisWith({ Status: 'hibernating' });
    const snapshot = snapshotOf(info, [inspect], { onSkipped: skips.onSkipped });
    expect(snapshot).toEqual({
      node: { agent_id: ENGINE_ID, hostname: HOSTNAME },
      containers: [EXPECTED_CONTAINERS['redis-cache']],
      tasks: [],
    });
    expect(skips.reasons).toEqual(['unknown_state']);
  });
});
