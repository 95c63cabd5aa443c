/**
 * Every table, end to end: records -> RowsBuilder -> Storage.insert -> SELECT gives back exactly
 * what went in, strings with tabs, line feeds, quotes, backslashes and unicode included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CONTAINER_METADATA_COLUMNS,
  DATAPOINT_COLUMNS,
  TASK_EVENT_COLUMNS,
  TIMER_SUMMARY_COLUMNS,
} from '../../../collector/sinks/clickhouse/columns.js';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { SKETCH_ACCURACY } from '../../../collector/sinks/clickhouse/stored-sketch.js';
import type { Storage } from '../../../collector/storage/storage.js';
import { AWKWARD, BASE_MS, dimensions, metrics, point, taskEvent, timerSummary } from './records.js';
import { openMigratedStorage, type TestStorage } from './test-storage.js';

let test_: TestStorage;
let storage: Storage;
let token = 0;

beforeAll(async () => {
  test_ = await openMigratedStorage();
  storage = test_.storage;
});
afterAll(async () => {
  await test_?.drop();
});

async function insert(builder: RowsBuilder): Promise<void> {
  for (const payload of builder.payloads())
    await storage.insert(payload, { dedupToken: `round-trip:${++token}` });
  builder.reset();
}

const DIMENSION_SELECT =
  'cluster_id, agent_id, hostname, framework_id, framework_name, framework_role, executor_id, task_id, task_name, container_id, labels';

test('the column lists are exactly the columns each table takes on insert', async () => {
  const lists: Record<string, readonly string[]> = {
    datapoints: DATAPOINT_COLUMNS,
    timer_summaries: TIMER_SUMMARY_COLUMNS,
    task_events: TASK_EVENT_COLUMNS,
    container_metadata: CONTAINER_METADATA_COLUMNS,
  };
  for (const [table, columns] of Object.entries(lists)) {
    const rows = await storage.query<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = '${test_.database}' AND table = '${table}'
       AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY name`,
    );
    expect(rows.map((r) => r.name)).toEqual([...columns].sort());
  }
});

// The engine reads a Native block with the types it names; they must be the table's own, or
// every insert would pay a conversion (and a changed table would go unnoticed).
test.skipIf(process.env.CLICKHOUSE_URL !== undefined)(
  "each table's Native block names exactly the table's column types",
  async () => {
    const builder = new RowsBuilder();
    builder.add(
      metrics([point('g', 'gauge', 1, BASE_MS), point('t', 'timer', 1, BASE_MS, { timer: timerSummary() })]),
    );
    builder.add(taskEvent('failed', BASE_MS));
    builder.add({
      type: 'metadata',
      update: { containerId: 'c', dimensions: dimensions(), updatedMs: BASE_MS, removed: false },
    });
    const payloads = builder.payloads();
    expect(payloads.map((p) => p.table)).toEqual([
      'datapoints',
      'timer_summaries',
      'task_events',
      'container_metadata',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'corral-native-types-'));
    try {
      for (const payload of payloads) {
        const path = join(dir, `${payload.table}.native`);
        writeFileSync(path, payload.data);
        const written = await storage.query<{ name: string; type: string }>(
          `DESCRIBE file('${path}', Native)`,
        );
        const table = await storage.query<{ name: string; type: string }>(
          `SELECT name, type FROM system.columns WHERE database = '${test_.database}' AND table = '${payload.table}'
           AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position`,
        );
        expect(written.map((c) => `${c.name} ${c.type}`)).toEqual(table.map((c) => `${c.name} ${c.type}`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

describe('datapoints', () => {
  test('every field and dimension comes back as written', async () => {
    const dims = dimensions({
      task_name: AWKWARD,
      framework_name: `fw ${AWKWARD}`,
      labels: { [AWKWARD]: AWKWARD, plain: 'value', empty: '' },
    });
    const builder = new RowsBuilder();
    builder.add(
      metrics(
        [
          point(`gauge.${AWKWARD}`, 'gauge', 1.5, BASE_MS + 1, {
            unit: AWKWARD,
            tags: { [AWKWARD]: AWKWARD, env: 'prod' },
          }),
          point('counter', 'counter', 1e21, BASE_MS + 2, { rate: 0.1 }),
          point('set', 'set', 42, BASE_MS + 3),
          point('tiny', 'gauge', -1.5e-7, BASE_MS + 4),
          point('big', 'gauge', 2 ** 53 + 2, BASE_MS + 5),
        ],
        dims,
      ),
    );
    // No dimensions at all: the datapoint's own container id is kept.
    builder.add(metrics([point('orphan', 'gauge', 7, BASE_MS + 6, { containerId: 'lonely' })], null));
    expect(builder.rowsOf('datapoints')).toBe(6);
    await insert(builder);

    const rows = await storage.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(time) AS ms, name, kind, unit, value, rate, tags, ${DIMENSION_SELECT}
       FROM datapoints ORDER BY time`,
    );
    expect(rows).toHaveLength(6);
    const expectedDims = {
      cluster_id: 'prod-eu-1',
      agent_id: 'agent-S1',
      hostname: 'node-001.internal',
      framework_id: 'fw-0001',
      framework_name: `fw ${AWKWARD}`,
      framework_role: 'services',
      executor_id: 'checkout.instance-1',
      task_id: 'checkout.instance-1._app.1',
      task_name: AWKWARD,
      container_id: 'c0ffee-1',
      labels: { [AWKWARD]: AWKWARD, plain: 'value', empty: '' },
    };
    expect(rows[0]).toEqual({
      ms: String(BASE_MS + 1),
      name: `gauge.${AWKWARD}`,
      kind: 'gauge',
      unit: AWKWARD,
      value: 1.5,
      rate: null,
      tags: { [AWKWARD]: AWKWARD, env: 'prod' },
      ...expectedDims,
    });
    expect(rows[1]).toMatchObject({ name: 'counter', kind: 'counter', value: 1e21, rate: 0.1 });
    expect(rows[2]).toMatchObject({ name: 'set', kind: 'set', value: 42, rate: null });
    expect(rows[3]).toMatchObject({ value: -1.5e-7 });
    expect(rows[4]).toMatchObject({ value: 2 ** 53 + 2 });
    expect(rows[5]).toEqual({
      ms: String(BASE_MS + 6),
      name: 'orphan',
      kind: 'gauge',
      unit: '',
      value: 7,
      rate: null,
      tags: {},
      cluster_id: '',
      agent_id: '',
      hostname: '',
      framework_id: '',
      framework_name: '',
      framework_role: '',
      executor_id: '',
      task_id: '',
      task_name: '',
      container_id: 'lonely',
      labels: {},
    });
  });

  test('values that are not finite and times out of range are skipped and counted', async () => {
    const builder = new RowsBuilder();
    builder.add(
      metrics([
        point('bad.nan', 'gauge', Number.NaN, BASE_MS),
        point('bad.inf', 'counter', Number.POSITIVE_INFINITY, BASE_MS),
        point('bad.rate', 'counter', 1, BASE_MS, { rate: Number.NaN }),
        point('bad.timer', 'timer', 1, BASE_MS, { timer: timerSummary({ max: Number.NaN }) }),
        point('bad.time', 'gauge', 1, -1),
        point('good', 'gauge', 1, BASE_MS),
      ]),
    );
    expect(builder.invalid).toEqual({ non_finite_value: 4, time_out_of_range: 1 });
    expect(builder.rows).toBe(1);
    await insert(builder);
    expect(builder.invalid).toEqual({ non_finite_value: 0, time_out_of_range: 0 });
    const names = await storage.query<{ name: string }>(
      "SELECT name FROM datapoints WHERE name LIKE 'bad%' OR name = 'good'",
    );
    expect(names).toEqual([{ name: 'good' }]);
  });
});

describe('timer_summaries', () => {
  test('a summary with the agent sketch keeps its bins; one without gets bins from its percentiles', async () => {
    const withSketch = timerSummary({
      count: 7.5,
      sum: 70.25,
      min: -3,
      max: 50,
      stddev: 12.5,
      percentiles: { '50': 10, '99.9': 50 },
      approximate: true,
      sketch: {
        relativeAccuracy: 0.02,
        positiveOffset: 100,
        positiveBins: [1, 0, 2.5],
        negativeOffset: -4,
        negativeBins: [1],
        zeroCount: 3,
      },
    });
    const builder = new RowsBuilder();
    builder.add(
      metrics([
        point(`lat.${AWKWARD}`, 'timer', 9.3666, BASE_MS + 10, {
          unit: 'ms',
          tags: { route: AWKWARD },
          timer: withSketch,
        }),
        point('lat.exact', 'timer', 10, BASE_MS + 20, { unit: 'ms', timer: timerSummary() }),
      ]),
    );
    expect(builder.rowsOf('timer_summaries')).toBe(2);
    expect(builder.rowsOf('datapoints')).toBe(0);
    await insert(builder);

    const rows = await storage.query<Record<string, unknown>>(
      `SELECT name, unit, count, sum, min, max, stddev, percentiles, approximate, sketch_source, sketch_accuracy,
        sketch_positive, sketch_negative, sketch_zero, tags, task_name FROM timer_summaries ORDER BY time`,
    );
    expect(rows[0]).toEqual({
      name: `lat.${AWKWARD}`,
      unit: 'ms',
      count: 7.5,
      sum: 70.25,
      min: -3,
      max: 50,
      stddev: 12.5,
      percentiles: { '50': 10, '99.9': 50 },
      approximate: true,
      sketch_source: 'agent',
      sketch_accuracy: 0.02,
      sketch_positive: { '100': 1, '102': 2.5 },
      sketch_negative: { '-4': 1 },
      sketch_zero: 3,
      tags: { route: AWKWARD },
      task_name: 'checkout',
    });
    // count 10, p50 8, p90 20, p99 40, max 40: weights 5, 4, 0.9 and 0.1 (to max, the same bin as p99).
    const bin = (v: number) =>
      String(Math.ceil(Math.log(v) / Math.log((1 + SKETCH_ACCURACY) / (1 - SKETCH_ACCURACY))));
    const exact = rows[1] as { sketch_positive: Record<string, number> };
    expect(rows[1]).toMatchObject({
      sketch_source: 'percentiles',
      sketch_accuracy: SKETCH_ACCURACY,
      sketch_zero: 0,
    });
    expect(Object.keys(exact.sketch_positive).sort()).toEqual([bin(8), bin(20), bin(40)].sort());
    expect(exact.sketch_positive[bin(8)]).toBeCloseTo(5, 9);
    expect(exact.sketch_positive[bin(20)]).toBeCloseTo(4, 9);
    expect(exact.sketch_positive[bin(40)]).toBeCloseTo(1, 9);
  });
});

describe('task_events', () => {
  test('state, previous state, reason and exit code come back as written', async () => {
    const builder = new RowsBuilder();
    builder.add(taskEvent('failed', BASE_MS + 100, { reason: AWKWARD, exitCode: -9 }));
    builder.add(taskEvent('staging', BASE_MS + 101, { previousState: '' }));
    builder.add(taskEvent('oom_killed', BASE_MS + 102, { exitCode: 2 ** 40 }));
    await insert(builder);
    const rows = await storage.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(time) AS ms, state, previous_state, reason, exit_code, task_id, labels
       FROM task_events ORDER BY time`,
    );
    expect(rows).toEqual([
      {
        ms: String(BASE_MS + 100),
        state: 'failed',
        previous_state: 'running',
        reason: AWKWARD,
        exit_code: -9,
        task_id: 'checkout.instance-1._app.1',
        labels: { team: 'payments', tier: 'backend' },
      },
      {
        ms: String(BASE_MS + 101),
        state: 'staging',
        previous_state: '',
        reason: '',
        exit_code: null,
        task_id: 'checkout.instance-1._app.1',
        labels: { team: 'payments', tier: 'backend' },
      },
      // An exit code that is no Int32 is dropped, not the event.
      expect.objectContaining({ state: 'oom_killed', exit_code: null }),
    ]);
  });
});

describe('container_metadata', () => {
  test('an update and a tombstone come back as written', async () => {
    const builder = new RowsBuilder();
    builder.add({
      type: 'metadata',
      update: {
        containerId: `ctr ${AWKWARD}`,
        dimensions: dimensions({ task_name: AWKWARD, labels: { [AWKWARD]: 'x' } }),
        updatedMs: BASE_MS + 5,
        removed: false,
      },
    });
    builder.add({ type: 'metadata_tombstone', containerId: 'gone' }, BASE_MS + 6);
    await insert(builder);
    const rows = await storage.query<Record<string, unknown>>(
      `SELECT container_id, task_name, hostname, labels, toUnixTimestamp64Milli(updated) AS ms, removed, tombstone
       FROM container_metadata ORDER BY updated`,
    );
    expect(rows).toEqual([
      {
        container_id: `ctr ${AWKWARD}`,
        task_name: AWKWARD,
        hostname: 'node-001.internal',
        labels: { [AWKWARD]: 'x' },
        ms: String(BASE_MS + 5),
        removed: 0,
        tombstone: 0,
      },
      {
        container_id: 'gone',
        task_name: '',
        hostname: '',
        labels: {},
        ms: String(BASE_MS + 6),
        removed: 1,
        tombstone: 1,
      },
    ]);
  });
});
