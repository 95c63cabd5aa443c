/**
 * The latest store behind the node metrics API, with the real metadata registry: what each
 * source's flush replaces, containers leaving the cgroup tree, the app-metrics TTL, the bound
 * on remembered ids, and the DC/OS formatting of datapoints and dimensions.
 */
import { describe, expect, it } from 'vitest';
import { dcosDatapoints, dcosDimensions, rfc3339 } from '../../agent/http/dcos-format.js';
import { LabelFilter } from '../../agent/metadata/labels.js';
import { ContainerRegistry } from '../../agent/metadata/registry.js';
import { LatestStore } from '../../agent/sinks/latest/latest-store.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

const T = Date.UTC(2026, 10, 22, 12, 0, 0);

function point(name: string, value: number, containerId?: string, timeMs = T): Datapoint {
  const p: Datapoint = { name, kind: 'gauge', value, unit: 'bytes', timeMs, tags: {} };
  if (containerId !== undefined) p.containerId = containerId;
  return p;
}

function names(entry: { points: readonly Datapoint[] } | undefined): string[] | undefined {
  return entry?.points.map((p) => `${p.name}=${p.value}`);
}

describe('LatestStore', () => {
  it('keeps the last interval of each source: node, cgroup by container, StatsD by container and node', () => {
    const store = new LatestStore();
    store.put('node', [point('node.memory.total', 1)], T);
    store.put(
      'cgroup',
      [point('container.memory.usage', 10, 'a'), point('container.memory.usage', 20, 'b')],
      T,
    );
    store.put('statsd', [point('app.q', 1, 'a'), point('app.q', 2, 'c'), point('local', 3)], T);
    expect(names(store.nodeMetrics())).toEqual(['node.memory.total=1']);
    expect(names(store.containerMetrics('a'))).toEqual(['container.memory.usage=10']);
    expect(names(store.containerMetrics('b'))).toEqual(['container.memory.usage=20']);
    expect(names(store.appMetrics('a', T))).toEqual(['app.q=1']);
    expect(names(store.appMetrics('c', T))).toEqual(['app.q=2']);
    expect(names(store.nodeAppMetrics(T))).toEqual(['local=3']);
    expect(store.containerIds(T)).toEqual(['a', 'b', 'c']);

    // The next StatsD flush has only a's series: a is replaced, c and the node's stay.
    store.put('statsd', [point('app.r', 5, 'a')], T + 1000);
    expect(names(store.appMetrics('a', T + 1000))).toEqual(['app.r=5']);
    expect(names(store.appMetrics('c', T + 1000))).toEqual(['app.q=2']);
    expect(names(store.nodeAppMetrics(T + 1000))).toEqual(['local=3']);
  });

  it('drops a container that leaves the cgroup scrape, app metrics too, and keeps it out', () => {
    const store = new LatestStore();
    store.put(
      'cgroup',
      [point('container.memory.usage', 10, 'a'), point('container.memory.usage', 20, 'b')],
      T,
    );
    store.put('statsd', [point('app.q', 1, 'b'), point('app.q', 2, 'c')], T);
    store.put('cgroup', [point('container.memory.usage', 11, 'a')], T + 1000);
    expect(store.containerMetrics('b')).toBeUndefined();
    expect(store.appMetrics('b', T + 1000)).toBeUndefined();
    expect(store.knows('b', T + 1000)).toBe(false);
    // A later flush of b's live gauge does not bring it back; c, never in the tree, stays.
    store.put('statsd', [point('app.q', 1, 'b'), point('app.q', 2, 'c')], T + 1000);
    expect(store.appMetrics('b', T + 1000)).toBeUndefined();
    expect(store.containerIds(T + 1000)).toEqual(['a', 'c']);
    // An empty scrape: no containers any more.
    store.put('cgroup', [], T + 2000);
    expect(store.containerIds(T + 2000)).toEqual(['c']);
    expect(store.stats).toEqual({ containers: 0, apps: 1, gone: 2 });
  });

  it('forgets app metrics after appTtlMs and remembers at most maxGone ids', () => {
    const store = new LatestStore({ appTtlMs: 60_000, maxGone: 3 });
    store.put('statsd', [point('app.q', 1, 'c'), point('local', 3)], T);
    expect(store.appMetrics('c', T + 60_000)).toBeDefined();
    expect(store.appMetrics('c', T + 60_001)).toBeUndefined();
    expect(store.nodeAppMetrics(T + 60_001)).toBeUndefined();
    expect(store.knows('c', T + 60_001)).toBe(false);
    for (let i = 0; i < 10; i++) {
      store.put('cgroup', [point('container.memory.usage', i, `x${i}`)], T + i);
    }
    expect(store.stats).toEqual({ containers: 1, apps: 0, gone: 3 });
  });

  it("knows the registry's containers (less those gone) and takes dimensions from it", () => {
    const registry = new ContainerRegistry(
      new LabelFilter({ include: [], exclude: [], maxValueLength: 256 }),
      {
        hostname: 'node-7',
      },
    );
    registry.update({
      node: { agent_id: 'S0', cluster_id: 'prod' },
      containers: [
        { containerId: 'm', dimensions: { task_name: 'web', labels: { team: 'shop' } }, ips: [] },
        { containerId: 'b', dimensions: { task_name: 'old' }, ips: [] },
      ],
      tasks: [],
    });
    const store = new LatestStore({ directory: () => registry });
    expect(store.knows('m', T)).toBe(true);
    expect(store.containerMetrics('m')).toBeUndefined();
    store.put('cgroup', [point('container.memory.usage', 1, 'b')], T);
    store.put('cgroup', [], T + 1000);
    // b left the tree: gone though the registry still lists it for a few refreshes.
    expect(store.containerIds(T + 1000)).toEqual(['m']);
    expect(store.knows('b', T + 1000)).toBe(false);
    expect(dcosDimensions(store.dimensionsOf('m'))).toEqual({
      mesos_id: 'S0',
      cluster_id: 'prod',
      container_id: 'm',
      task_name: 'web',
      hostname: 'node-7',
      labels: { team: 'shop' },
    });
    expect(dcosDimensions(store.dimensionsOf())).toEqual({
      mesos_id: 'S0',
      cluster_id: 'prod',
      hostname: 'node-7',
    });
    expect(dcosDimensions(store.dimensionsOf('unknown'))).toEqual({
      mesos_id: 'S0',
      cluster_id: 'prod',
      container_id: 'unknown',
      hostname: 'node-7',
    });
  });

  it('tee files the sources it keeps and hands the others their emit unchanged', () => {
    const store = new LatestStore();
    const emitted: Datapoint[][] = [];
    const emit = (batch: Datapoint[]) => emitted.push(batch);
    expect(store.tee('self', emit)).toBe(emit);
    const batch = [point('node.load.1', 0.5)];
    store.tee('node', emit)(batch);
    expect(emitted).toEqual([batch]);
    expect(store.nodeMetrics()?.points).toBe(batch);
  });
});

describe('DC/OS formatting', () => {
  it('RFC 3339 in UTC, whole seconds without a fraction', () => {
    expect(rfc3339(T)).toBe('2026-11-22T12:00:00Z');
    expect(rfc3339(T + 250)).toBe('2026-11-22T12:00:00.250Z');
  });

  it('one datapoint each, timers expanded into their summary, NaN as null', () => {
    const timer: Datapoint = {
      name: 'lat',
      kind: 'timer',
      value: 15,
      unit: 'ms',
      timeMs: T,
      tags: { route: '/a' },
      timer: {
        count: 4,
        sum: 60,
        min: 5,
        max: 30,
        mean: 15,
        stddev: 9.35,
        percentiles: { '50': 10, '99.9': 30 },
        approximate: false,
      },
    };
    const timestamp = '2026-11-22T12:00:00Z';
    const tags = { route: '/a' };
    expect(dcosDatapoints([timer, point('bad', Number.NaN)])).toEqual([
      { name: 'lat', value: 15, unit: 'ms', timestamp, tags },
      { name: 'lat.count', value: 4, unit: 'count', timestamp, tags },
      { name: 'lat.sum', value: 60, unit: 'ms', timestamp, tags },
      { name: 'lat.min', value: 5, unit: 'ms', timestamp, tags },
      { name: 'lat.max', value: 30, unit: 'ms', timestamp, tags },
      { name: 'lat.stddev', value: 9.35, unit: 'ms', timestamp, tags },
      { name: 'lat.p50', value: 10, unit: 'ms', timestamp, tags },
      { name: 'lat.p99_9', value: 30, unit: 'ms', timestamp, tags },
      { name: 'bad', value: null, unit: 'bytes', timestamp, tags: {} },
    ]);
  });
});
