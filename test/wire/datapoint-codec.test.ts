import { describe, expect, it } from 'vitest';
import type { Datapoint } from '../../lib/model/datapoint.js';
import {
  datapointFromRecord,
  datapointToRecord,
  groupByDimensions,
  metricBatchFromRecord,
  metricBatchToRecord,
  taskEventFromRecord,
  taskEventToRecord,
} from '../../lib/wire/datapoint-codec.js';
import { singleObjectCodec, singleObjectMetricBatchWriter } from '../../lib/wire/single-object.js';
import {
  containerDimensions,
  datapointsOfEveryKind,
  nodeDimensions,
  sampleBatch,
  taskEvents,
} from './samples.js';

describe('datapoint codec', () => {
  it('groups datapoints by their dimensions object, keeping their order', () => {
    const container = datapointsOfEveryKind(containerDimensions);
    const node = datapointsOfEveryKind(nodeDimensions);
    const bare = datapointsOfEveryKind();
    const mixed = [container[0]!, node[0]!, bare[0]!, container[1]!, node[1]!, container[2]!];
    const groups = groupByDimensions(mixed);
    expect(groups.map((g) => [g.dimensions, g.datapoints])).toEqual([
      [containerDimensions, [container[0], container[1], container[2]]],
      [nodeDimensions, [node[0], node[1]]],
      [undefined, [bare[0]]],
    ]);
  });

  it('sends absent optionals as null and brings them back absent', () => {
    const gauge = datapointsOfEveryKind()[1]!;
    const record = datapointToRecord({ ...gauge, containerId: undefined });
    expect(record).toMatchObject({ container_id: null, rate: null, timer: null });
    const decoded = datapointFromRecord(record);
    expect(Object.keys(decoded).sort()).toEqual(['kind', 'name', 'tags', 'timeMs', 'unit', 'value']);
  });

  it('sends a first-seen task ("" previous state) as null, and back', () => {
    const firstSeen = taskEvents[0]!;
    expect(taskEventToRecord(firstSeen)).toMatchObject({
      previous_state: null,
      reason: null,
      exit_code: null,
    });
    expect(taskEventFromRecord(taskEventToRecord(firstSeen))).toStrictEqual(firstSeen);
  });

  it('keeps percentile keys exactly as written', () => {
    const timer = datapointsOfEveryKind()[2]!;
    const { encoder, decoder } = singleObjectCodec('MetricBatch');
    const batch = { ...sampleBatch(null), datapoints: [timer] };
    const decoded = metricBatchFromRecord(decoder.decode(encoder.encode(metricBatchToRecord(batch))));
    expect(Object.keys(decoded.datapoints[0]!.timer!.percentiles)).toEqual(['50', '90', '99', '99.9']);
  });

  it('carries a "__proto__" tag as an ordinary tag', () => {
    const tags: Record<string, string> = {};
    Object.defineProperty(tags, '__proto__', {
      value: 'x',
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const point: Datapoint = { name: 'n', kind: 'gauge', value: 1, unit: '', timeMs: 1, tags };
    const batch = { ...sampleBatch(null), datapoints: [point] };
    const { decoder } = singleObjectCodec('MetricBatch');
    const decoded = metricBatchFromRecord(decoder.decode(singleObjectMetricBatchWriter().encode(batch)));
    const decodedTags = decoded.datapoints[0]!.tags;
    expect(Object.getPrototypeOf(decodedTags)).toBe(Object.prototype);
    expect(Object.entries(decodedTags)).toEqual([['__proto__', 'x']]);
  });
});
