/**
 * records.ts and the current schemas must describe the same records. Each fully populated
 * object below is typed by records.ts, so a field added there fails to compile here until it
 * is added below, and then fails the field-name comparison until the schema has it too (and
 * the other way round).
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { MetricKind } from '../../lib/model/datapoint.js';
import { DIMENSION_KEYS, TASK_STATES } from '../../lib/model/dimensions.js';
import type {
  DatapointRecord,
  DimensionsRecord,
  MetadataUpdateRecord,
  MetricBatchRecord,
  SketchSnapshotRecord,
  TaskEventRecord,
  TimerSummaryRecord,
} from '../../lib/wire/records.js';
import { schemaCatalog } from '../../lib/wire/schemas.js';

const fullDimensions: DimensionsRecord = {
  cluster_id: 'c',
  agent_id: 'a',
  hostname: 'h',
  framework_id: 'f',
  framework_name: 'fn',
  framework_role: 'fr',
  executor_id: 'e',
  task_id: 't',
  task_name: 'tn',
  container_id: 'ci',
  labels: { k: 'v' },
};

const fullSketch: SketchSnapshotRecord = {
  relative_accuracy: 0.01,
  positive_offset: -3,
  positive_bins: [1, 2],
  negative_offset: 4,
  negative_bins: [0.5],
  zero_count: 1,
};

const fullTimer: TimerSummaryRecord = {
  count: 1,
  sum: 2,
  min: 0,
  max: 2,
  mean: 1,
  stddev: 1,
  percentiles: { '99.9': 2 },
  approximate: true,
  sketch: fullSketch,
};

const fullDatapoint: DatapointRecord = {
  name: 'n',
  kind: 'timer',
  value: 1,
  unit: 'ms',
  time_ms: 1_700_000_000_000,
  tags: { t: 'v' },
  container_id: 'ci',
  rate: 0.5,
  timer: fullTimer,
};

const fullBatch: MetricBatchRecord = {
  agent_id: 'a',
  hostname: 'h',
  sent_ms: 1_700_000_000_001,
  batch_id: 'b',
  dimensions: fullDimensions,
  datapoints: [fullDatapoint],
};

const fullTaskEvent: TaskEventRecord = {
  time_ms: 1_700_000_000_000,
  state: 'oom_killed',
  previous_state: 'running',
  reason: 'OOMKilled',
  exit_code: 137,
  dimensions: fullDimensions,
};

const fullMetadataUpdate: MetadataUpdateRecord = {
  container_id: 'ci',
  dimensions: fullDimensions,
  updated_ms: 1_700_000_000_000,
  removed: true,
};

/** Every named type reachable from `type`, by full name. */
function namedTypes(type: avro.Type, found = new Map<string, avro.Type>()): Map<string, avro.Type> {
  if (type.name !== undefined) {
    if (found.has(type.name)) return found;
    found.set(type.name, type);
  }
  if (type instanceof avro.types.RecordType) for (const field of type.fields) namedTypes(field.type, found);
  else if (type instanceof avro.types.ArrayType) namedTypes(type.itemsType, found);
  else if (type instanceof avro.types.MapType) namedTypes(type.valuesType, found);
  else if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    for (const branch of type.types) namedTypes(branch, found);
  }
  return found;
}

const types = new Map<string, avro.Type>();
for (const name of ['MetricBatch', 'TaskEvent', 'MetadataUpdate'] as const) {
  for (const [fullName, type] of namedTypes(schemaCatalog().currentSchema(name).type))
    types.set(fullName, type);
}

function fieldNames(fullName: string): string[] {
  const type = types.get(fullName);
  if (!(type instanceof avro.types.RecordType))
    throw new Error(`${fullName} is not a record of the current schemas`);
  return type.fields.map((field) => field.name).sort();
}

function symbols(fullName: string): string[] {
  const type = types.get(fullName);
  if (!(type instanceof avro.types.EnumType))
    throw new Error(`${fullName} is not an enum of the current schemas`);
  return [...type.symbols];
}

const RECORDS: Array<[string, object]> = [
  ['io.corral.Dimensions', fullDimensions],
  ['io.corral.SketchSnapshot', fullSketch],
  ['io.corral.TimerSummary', fullTimer],
  ['io.corral.Datapoint', fullDatapoint],
  ['io.corral.MetricBatch', fullBatch],
  ['io.corral.TaskEvent', fullTaskEvent],
  ['io.corral.MetadataUpdate', fullMetadataUpdate],
];

/** MetricKind as a list, checked at compile time to name every member of the union. */
const METRIC_KINDS = ['counter', 'gauge', 'timer', 'set'] as const satisfies readonly MetricKind[];
const everyKindListed: [Exclude<MetricKind, (typeof METRIC_KINDS)[number]>] extends [never] ? true : false =
  true;

describe('records.ts matches the current schemas', () => {
  it('covers every record type of the schemas', () => {
    const recordNames = [...types]
      .filter(([, type]) => type instanceof avro.types.RecordType)
      .map(([name]) => name);
    expect(recordNames.sort()).toEqual(RECORDS.map(([name]) => name).sort());
  });

  it.each(RECORDS)('%s: the TS type has exactly the schema fields', (fullName, record) => {
    expect(Object.keys(record).sort()).toEqual(fieldNames(fullName));
  });

  it('Dimensions carries every model dimension, and labels', () => {
    expect(fieldNames('io.corral.Dimensions')).toEqual([...DIMENSION_KEYS, 'labels'].sort());
  });

  it('enums list the model symbols in order', () => {
    expect(everyKindListed).toBe(true);
    expect(symbols('io.corral.MetricKind')).toEqual([...METRIC_KINDS]);
    expect(symbols('io.corral.TaskState')).toEqual([...TASK_STATES]);
  });

  it.each([
    ['MetricBatch', fullBatch],
    ['TaskEvent', fullTaskEvent],
    ['MetadataUpdate', fullMetadataUpdate],
  ] as const)('%s: a fully populated record is valid and round trips', (name, record) => {
    const type = schemaCatalog().currentSchema(name).type;
    const problems: string[] = [];
    const valid = type.isValid(record, {
      noUndeclaredFields: true,
      errorHook: (path) => problems.push(path.join('.')),
    });
    expect(problems).toEqual([]);
    expect(valid).toBe(true);
    expect({ ...type.fromBuffer(type.toBuffer(record)) }).toEqual(record);
  });

  it('every optional field accepts null', () => {
    const nullDimensions: DimensionsRecord = {
      cluster_id: null,
      agent_id: null,
      hostname: null,
      framework_id: null,
      framework_name: null,
      framework_role: null,
      executor_id: null,
      task_id: null,
      task_name: null,
      container_id: null,
      labels: null,
    };
    const batch: MetricBatchRecord = {
      ...fullBatch,
      dimensions: null,
      datapoints: [
        { ...fullDatapoint, container_id: null, rate: null, timer: { ...fullTimer, sketch: null } },
      ],
    };
    const event: TaskEventRecord = {
      ...fullTaskEvent,
      previous_state: null,
      reason: null,
      exit_code: null,
      dimensions: nullDimensions,
    };
    expect(schemaCatalog().currentSchema('MetricBatch').type.isValid(batch)).toBe(true);
    expect(schemaCatalog().currentSchema('TaskEvent').type.isValid(event)).toBe(true);
  });
});
