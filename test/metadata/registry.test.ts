import { describe, expect, it } from 'vitest';
import { LabelFilter } from '../../agent/metadata/labels.js';
import type { ContainerMetadata, MetadataSnapshot } from '../../agent/metadata/provider.js';
import { ContainerRegistry } from '../../agent/metadata/registry.js';

const filter = new LabelFilter({ include: [], exclude: [], maxValueLength: 64 });
const NODE = { cluster_id: 'prod', agent_id: 'S1', hostname: 'node-1' };

function container(id: string, ips: string[] = [], labels?: Record<string, string>): ContainerMetadata {
  return {
    containerId: id,
    dimensions: {
      framework_name: 'shop',
      task_id: `task-${id}`,
      task_name: 'web',
      ...(labels ? { labels } : {}),
    },
    ips,
  };
}

function snapshot(containers: ContainerMetadata[]): MetadataSnapshot {
  return { node: NODE, containers, tasks: [] };
}

describe('ContainerRegistry', () => {
  it('gives a known container its full dimensions, with the node, filtered labels and its id', () => {
    const registry = new ContainerRegistry(filter, { hostname: 'fallback' });
    expect(registry.dimensionsOf('c1')).toEqual({ hostname: 'fallback', container_id: 'c1' });
    registry.update(snapshot([container('c1', [], { team: 'pay', 'pod-template-hash': 'x' })]));
    expect(registry.dimensionsOf('c1')).toEqual({
      ...NODE,
      framework_name: 'shop',
      task_id: 'task-c1',
      task_name: 'web',
      container_id: 'c1',
      labels: { team: 'pay' },
    });
    expect(Object.isFrozen(registry.dimensionsOf('c1'))).toBe(true);
    expect(registry.dimensionsOf(undefined)).toEqual(NODE);
    expect(registry.dimensionsOf('unknown')).toEqual({ ...NODE, container_id: 'unknown' });
    // Shared, not rebuilt per lookup.
    expect(registry.dimensionsOf('unknown')).toBe(registry.dimensionsOf('unknown'));
  });

  it('keeps the same object across refreshes that change nothing, and bumps generation only on change', () => {
    const registry = new ContainerRegistry(filter);
    registry.update(snapshot([container('c1', ['10.0.0.5'])]));
    const first = registry.dimensionsOf('c1');
    const generation = registry.generation;
    registry.update(snapshot([container('c1', ['10.0.0.5'])]));
    expect(registry.dimensionsOf('c1')).toBe(first);
    expect(registry.generation).toBe(generation);
    registry.update(snapshot([container('c1', ['10.0.0.5'], { team: 'new' })]));
    expect(registry.dimensionsOf('c1')).not.toBe(first);
    expect(registry.dimensionsOf('c1').labels).toEqual({ team: 'new' });
    expect(registry.generation).toBe(generation + 1);
  });

  it('keeps a container no longer listed for a few refreshes, for its last datapoints', () => {
    const registry = new ContainerRegistry(filter);
    registry.update(snapshot([container('c1')]));
    registry.update(snapshot([]));
    registry.update(snapshot([]));
    expect(registry.dimensionsOf('c1').task_id).toBe('task-c1');
    registry.update(snapshot([]));
    expect(registry.has('c1')).toBe(false);
    expect(registry.dimensionsOf('c1')).toEqual({ ...NODE, container_id: 'c1' });
  });

  it('maps an IP to the one container that has it; shared IPs and the node address map to none', () => {
    const registry = new ContainerRegistry(filter);
    registry.update(
      snapshot([
        container('c1', ['10.0.0.5', 'fd00::5']),
        container('c2', ['10.0.0.6', '192.168.1.10']),
        container('c3', ['192.168.1.10']), // host networking: same IP as c2
        container('c4', ['node-1']),
      ]),
    );
    expect(registry.containerForAddress('10.0.0.5')).toBe('c1');
    expect(registry.containerForAddress('fd00::5')).toBe('c1');
    expect(registry.containerForAddress('10.0.0.6')).toBe('c2');
    expect(registry.containerForAddress('192.168.1.10')).toBeUndefined();
    expect(registry.containerForAddress('node-1')).toBeUndefined();
    expect(registry.containerForAddress('10.9.9.9')).toBeUndefined();
  });

  it('complete(): a task event dimensions object with the node merged in and labels filtered', () => {
    const registry = new ContainerRegistry(filter);
    registry.update(snapshot([]));
    expect(registry.complete({ task_id: 't', labels: { 'io.kubernetes.x': '1', app: 'a' } })).toEqual({
      ...NODE,
      task_id: 't',
      labels: { app: 'a' },
    });
  });
});
