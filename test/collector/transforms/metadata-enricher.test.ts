import { describe, expect, it } from 'vitest';
import type { CollectorRecord } from '../../../collector/model.js';
import { MetadataEnricher } from '../../../collector/transforms/enrich/metadata-enricher.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Dimensions } from '../../../lib/model/dimensions.js';

const NODE = { cluster_id: 'eu', hostname: 'n1' };
const TASK: Dimensions = {
  ...NODE,
  framework_id: 'fw-1',
  framework_name: 'marathon',
  task_id: 'web.1',
  task_name: 'web',
  container_id: 'c-1',
  labels: { team: 'a' },
};

function metrics(dimensions: Readonly<Dimensions> | undefined, name = 'requests'): CollectorRecord {
  const point: Datapoint = { name, kind: 'counter', value: 1, unit: '', timeMs: 1000, tags: {} };
  if (dimensions !== undefined) point.dimensions = dimensions;
  return { type: 'metrics', agentId: 'n1', batchId: 'b', dimensions, datapoints: [point] };
}

describe('MetadataEnricher', () => {
  it('fills what a batch of a not-yet-known container lacks from the metadata topic', () => {
    const enricher = new MetadataEnricher();
    enricher.apply({
      type: 'metadata',
      update: { containerId: 'c-1', dimensions: TASK, updatedMs: 1, removed: false },
    });
    const out = enricher.apply(metrics({ ...NODE, container_id: 'c-1' }));
    expect(out.type === 'metrics' && out.dimensions).toEqual(TASK);
    expect(out.type === 'metrics' && out.datapoints[0]!.dimensions).toEqual(TASK);
    expect(enricher.enriched).toBe(1);
  });

  it("keeps the batch's own values, and returns complete batches untouched", () => {
    const enricher = new MetadataEnricher();
    enricher.load([['c-1', TASK]]);
    const renamed = { ...NODE, container_id: 'c-1', task_name: 'web-v2' };
    const out = enricher.apply(metrics(renamed));
    expect(out.type === 'metrics' && out.dimensions).toEqual({ ...TASK, task_name: 'web-v2' });
    const complete = metrics(TASK);
    expect(enricher.apply(complete)).toBe(complete);
    expect(enricher.apply(metrics(undefined)).type).toBe('metrics');
  });

  it('learns task dimensions from batches, and forgets a container on its tombstone', () => {
    const enricher = new MetadataEnricher();
    enricher.apply(metrics(TASK));
    const event = enricher.apply({
      type: 'task_event',
      event: { timeMs: 5, state: 'failed', previousState: 'running', dimensions: { container_id: 'c-1' } },
    });
    expect(event.type === 'task_event' && event.event.dimensions).toEqual(TASK);
    enricher.apply({ type: 'metadata_tombstone', containerId: 'c-1' });
    expect(enricher.dimensionsOf('c-1')).toBeUndefined();
    const bare = metrics({ ...NODE, container_id: 'c-1' });
    expect(enricher.apply(bare)).toBe(bare);
  });
});
