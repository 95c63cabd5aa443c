/**
 * The Grafana dashboards and alert rules of dashboards/ against the real engine: every panel,
 * template variable and alert query found in the JSON and YAML, expanded as Grafana and the
 * ClickHouse plugin would (grafana-macros.ts), run on embedded ClickHouse over known data
 * stored through the collector's own insert path (fixtures.ts), with the values checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../collector/storage/storage.js';
import { openMigratedStorage, type TestStorage } from '../collector/storage/test-storage.js';
import { evaluateRule } from './alert-eval.js';
import { EXPECTED_COLUMNS } from './expected-columns.js';
import { CONTAINERS, load, T_END, T0, UPTIME_START } from './fixtures.js';
import { expandQuery, type TimeRange, type VariableValue } from './grafana-macros.js';
import {
  type AlertRule,
  alertRules,
  allPanels,
  DATASOURCE_TYPE,
  DATASOURCE_UID,
  type DashboardFile,
  dashboardFiles,
  durationMs,
  type Json,
  panelQueries,
  rawSqlStrings,
  readYaml,
  variableQueries,
} from './grafana-model.js';
import { numericRows, type QueryResult, runQuery } from './query-runner.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const RANGE: TimeRange = { fromMs: T0, toMs: T_END, intervalMs: 60_000 };

let incident: TestStorage;
let healthy: TestStorage;

beforeAll(async () => {
  incident = await openMigratedStorage();
  healthy = await openMigratedStorage();
  await load(incident.storage, 'incident');
  await load(healthy.storage, 'healthy');
}, 60_000);

afterAll(async () => {
  await incident?.drop();
  await healthy?.drop();
});

const DASHBOARDS = dashboardFiles();
const RULES = alertRules();

describe('the Grafana model', () => {
  it('has the five dashboards, each valid enough to provision', () => {
    expect(DASHBOARDS.map((d) => d.json.uid).sort()).toEqual([
      'corral-cluster',
      'corral-framework',
      'corral-pipeline',
      'corral-statsd',
      'corral-task',
    ]);
    for (const { file, json } of DASHBOARDS) {
      expect(typeof json.schemaVersion, file).toBe('number');
      expect(json.title, file).toMatch(/^corral \/ /);
      expect(json.tags, file).toContain('corral');
      const panels = allPanels(json);
      const ids = panels.map((p: Json) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      for (const panel of panels) {
        if (panel.type === 'row') continue;
        const where = `${file}: ${panel.title}`;
        expect(panel.datasource, where).toEqual({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.datasource?.uid, where).toBe(DATASOURCE_UID);
          expect(target.editorType, where).toBe('sql');
          expect(target.rawSql, where).toMatch(/\S/);
          expect([0, 1], where).toContain(target.format);
        }
        expect(panel.gridPos, where).toMatchObject({ w: expect.any(Number), h: expect.any(Number) });
      }
      for (const variable of json.templating.list) {
        expect(variable.datasource?.uid, `${file}: $${variable.name}`).toBe(DATASOURCE_UID);
      }
      // Every query in the file is one the tests below run.
      expect(rawSqlStrings(json).length, file).toBe(panelQueries({ file, json }).length);
    }
  });

  it('provisions the datasource, the dashboards and the alert rules', () => {
    const datasources = readYaml('provisioning/datasources/clickhouse.yaml');
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        uid: DATASOURCE_UID,
        type: DATASOURCE_TYPE,
        jsonData: expect.objectContaining({
          host: 'clickhouse',
          port: 8123,
          protocol: 'http',
          username: 'default',
          defaultDatabase: 'corral',
        }),
      }),
    ]);
    const providers = readYaml('provisioning/dashboards/corral.yaml');
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }),
      }),
    ]);
    const alerting = readYaml('provisioning/alerting/corral-alerts.yaml');
    expect(alerting.apiVersion).toBe(1);
    const uids = RULES.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids.sort()).toEqual([
      'corral-app-error-rate',
      'corral-consumer-lag',
      'corral-dead-letters',
      'corral-oom-kills',
      'corral-pipeline-drops',
      'corral-task-failure-rate',
    ]);
    for (const rule of RULES) {
      expect(rule.queries.length, rule.uid).toBe(1);
      expect(rule.raw.data[0].datasourceUid, rule.uid).toBe(DATASOURCE_UID);
      expect(rule.queries[0]!.fromSeconds, rule.uid).toBeGreaterThan(0);
      expect(rule.expressions.get(rule.condition)?.type, rule.uid).toBe('threshold');
      expect(rule.raw.noDataState, rule.uid).toBe('OK');
    }
    expect(rawSqlStrings(alerting).length).toBe(RULES.length);
  });
});

// ------------------------------------------------------------------------- dashboards

interface Scenario {
  name: string;
  /** Selected values by variable; the rest: All when offered, else the first option. */
  select: Record<string, string[]>;
}

const SCENARIOS: Record<string, Scenario[]> = {
  'corral-cluster': [
    { name: 'all', select: {} },
    { name: 'node-2', select: { host: ['node-2'] } },
  ],
  'corral-framework': [
    { name: 'all', select: {} },
    { name: 'checkout', select: { framework: ['marathon'], task: ['checkout'] } },
  ],
  'corral-task': [
    { name: 'checkout', select: { framework: ['marathon'], task: ['checkout'] } },
    {
      name: 'checkout-1',
      select: { framework: ['marathon'], task: ['checkout'], container: ['c-checkout-1'] },
    },
    { name: 'etl', select: { framework: ['spark'], task: ['etl'] } },
  ],
  'corral-statsd': [
    { name: 'latency', select: { metric: ['demo.latency'] } },
    { name: 'requests', select: { metric: ['demo.requests'] } },
    { name: 'queue', select: { metric: ['demo.queue'] } },
    { name: 'users', select: { metric: ['demo.users'] } },
    {
      name: 'marathon requests',
      select: { framework: ['marathon'], task: ['checkout', 'search'], metric: ['demo.requests'] },
    },
  ],
  'corral-pipeline': [
    { name: 'all', select: {} },
    { name: 'node-1', select: { host: ['node-1'] } },
  ],
};

interface ScenarioRun {
  options: Map<string, string[]>;
  /** By "panel title/refId". */
  results: Map<string, QueryResult>;
}

/** Runs the dashboard's variable queries in order, then every panel query, for one scenario. */
async function runDashboard(storage: Storage, file: DashboardFile, scenario: Scenario): Promise<ScenarioRun> {
  const values = new Map<string, VariableValue>();
  const options = new Map<string, string[]>();
  for (const variable of variableQueries(file)) {
    const where = `${file.json.uid} ${scenario.name}: $${variable.name}`;
    const sql = expandQuery(variable.rawSql, RANGE, values);
    const result = await runQuery(storage, sql).catch((error: unknown) => {
      throw new Error(`${where}: ${String(error)}\n${sql}`);
    });
    expect(result.columns.length, where).toBe(1);
    const found = result.rows.map((row) => String(row[result.columns[0]!.name]));
    options.set(variable.name, found);
    const selected = scenario.select[variable.name];
    if (selected !== undefined) {
      for (const value of selected) expect(found, where).toContain(value);
      values.set(variable.name, { values: selected, all: false, multi: variable.multi });
    } else if (variable.includeAll) {
      values.set(variable.name, {
        values: found,
        all: true,
        allValue: variable.allValue,
        multi: variable.multi,
      });
    } else {
      expect(found.length, `${where}: no option to pick`).toBeGreaterThan(0);
      values.set(variable.name, { values: found.slice(0, 1), all: false, multi: variable.multi });
    }
  }
  const results = new Map<string, QueryResult>();
  for (const query of panelQueries(file)) {
    const where = `${file.json.uid} ${scenario.name}: ${query.panel}/${query.refId}`;
    const range: TimeRange = {
      fromMs: query.timeFrom === undefined ? RANGE.fromMs : T_END - durationMs(query.timeFrom),
      toMs: T_END,
      intervalMs: Math.max(RANGE.intervalMs, query.interval === undefined ? 0 : durationMs(query.interval)),
    };
    const sql = expandQuery(query.rawSql, range, values);
    const result = await runQuery(storage, sql).catch((error: unknown) => {
      throw new Error(`${where}: ${String(error)}\n${sql}`);
    });
    if (query.format === 0) {
      expect(result.columns[0]?.type, `${where}: time column first`).toMatch(/^DateTime/);
      expect(
        result.columns.slice(1).some((c) => /Int|Float|Decimal/.test(c.type)),
        `${where}: a value`,
      ).toBe(true);
      const times = result.rows.map((row) => String(row[result.columns[0]!.name]));
      expect(times, `${where}: ordered by time`).toEqual([...times].sort());
    }
    results.set(`${query.panel}/${query.refId}`, result);
  }
  return { options, results };
}

const runs = new Map<string, Map<string, ScenarioRun>>();

function result(dashboard: string, scenario: string, panel: string, refId = 'A'): QueryResult {
  const run = runs.get(dashboard)?.get(scenario);
  const found = run?.results.get(`${panel}/${refId}`);
  if (found === undefined) throw new Error(`no result for ${dashboard} ${scenario}: ${panel}/${refId}`);
  return found;
}
const rows = (dashboard: string, scenario: string, panel: string, refId = 'A') =>
  numericRows(result(dashboard, scenario, panel, refId));

/** [label, value] of a time series result (the columns after the time). */
function valuesByLabel(r: QueryResult): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const row of numericRows(r)) {
    const label = String(row[1]);
    out.set(label, [...(out.get(label) ?? []), Number(row.at(-1))]);
  }
  return out;
}

describe('dashboards on the engine', () => {
  beforeAll(async () => {
    for (const file of DASHBOARDS) {
      const byScenario = new Map<string, ScenarioRun>();
      for (const scenario of SCENARIOS[file.json.uid] ?? [{ name: 'default', select: {} }])
        byScenario.set(scenario.name, await runDashboard(incident.storage, file, scenario));
      runs.set(file.json.uid, byScenario);
    }
  }, 60_000);

  it('runs every variable and panel query; every panel has rows in some scenario', () => {
    for (const file of DASHBOARDS) {
      const scenarios = [...runs.get(file.json.uid)!.values()];
      for (const query of panelQueries(file)) {
        const key = `${query.panel}/${query.refId}`;
        const counts = scenarios.map((s) => s.results.get(key)!.rows.length);
        expect(Math.max(...counts), `${file.json.uid}: ${key} is empty in every scenario`).toBeGreaterThan(0);
      }
      for (const variable of variableQueries(file)) {
        const counts = scenarios.map((s) => s.options.get(variable.name)!.length);
        expect(Math.max(...counts), `${file.json.uid}: $${variable.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('returns the expected columns from every panel query', () => {
    for (const file of DASHBOARDS) {
      const uid = file.json.uid;
      const expected = EXPECTED_COLUMNS[uid] ?? {};
      const keys = panelQueries(file).map((q) => `${q.panel}/${q.refId}`);
      expect(
        Object.keys(expected).filter((k) => !keys.includes(k)),
        `${uid}: entries without a panel`,
      ).toEqual([]);
      for (const run of runs.get(uid)!.values())
        for (const key of keys)
          if (expected[key] !== undefined)
            expect(
              run.results.get(key)!.columns.map((c) => c.name),
              `${uid}: ${key}`,
            ).toEqual(expected[key]);
    }
  });

  it('lists the template variable options', () => {
    const options = (dashboard: string, scenario: string) =>
      Object.fromEntries(runs.get(dashboard)!.get(scenario)!.options);
    expect(options('corral-cluster', 'all')).toEqual({ cluster: ['prod'], host: ['node-1', 'node-2'] });
    expect(options('corral-framework', 'all')).toEqual({
      framework: ['marathon', 'spark'],
      task: ['checkout', 'etl', 'search'],
    });
    // The task list follows the framework.
    expect(options('corral-framework', 'checkout').task).toEqual(['checkout', 'search']);
    expect(options('corral-task', 'checkout')).toEqual({
      framework: ['marathon', 'spark'],
      task: ['checkout', 'search'],
      container: ['c-checkout-1', 'c-checkout-2'],
    });
    expect(options('corral-task', 'etl').container).toEqual(['c-etl-1']);
    expect(options('corral-statsd', 'latency').metric).toEqual([
      'demo.errors',
      'demo.latency',
      'demo.queue',
      'demo.requests',
      'demo.users',
    ]);
    expect(options('corral-pipeline', 'all')).toEqual({ host: ['collector-1', 'node-1', 'node-2'] });
  });

  it('cluster and nodes: counts, node table, cores and memory by framework', () => {
    const d = 'corral-cluster';
    expect(rows(d, 'all', 'Nodes reporting')).toEqual([[2]]);
    expect(rows(d, 'all', 'Containers reporting')).toEqual([[4]]);
    expect(rows(d, 'all', 'Live containers')).toEqual([[4]]);
    expect(rows(d, 'all', 'Live tasks')).toEqual([[4]]);
    expect(rows(d, 'node-2', 'Containers reporting')).toEqual([[2]]);
    const uptime = UPTIME_START + 359 * 10;
    expect(rows(d, 'all', 'Nodes')).toEqual([
      ['node-1', 'prod', 30, 50, 1.5, uptime, 10],
      ['node-2', 'prod', 60, 75, 3, uptime, 10],
    ]);
    expect(rows(d, 'all', 'Filesystems')).toEqual([
      ['node-2', '/', 90 * GiB, 100 * GiB, 90],
      ['node-1', '/', 50 * GiB, 100 * GiB, 50],
    ]);
    const busy = valuesByLabel(result(d, 'all', 'Node CPU busy'));
    expect(busy.get('node-1')).toHaveLength(60);
    expect(new Set(busy.get('node-1'))).toEqual(new Set([30]));
    expect(new Set(busy.get('node-2'))).toEqual(new Set([60]));
    const cores = valuesByLabel(result(d, 'all', 'CPU cores used by framework'));
    expect([...cores.keys()]).toEqual(['marathon', 'spark']);
    expect(cores.get('marathon')!.every((v) => Math.abs(v - 1.75) < 1e-9)).toBe(true);
    expect(cores.get('spark')!.every((v) => Math.abs(v - 2) < 1e-9)).toBe(true);
    const memory = valuesByLabel(result(d, 'all', 'Memory used by framework'));
    expect(new Set(memory.get('marathon'))).toEqual(new Set([896 * MiB]));
    expect(new Set(memory.get('spark'))).toEqual(new Set([900 * MiB]));
    const network = valuesByLabel(result(d, 'all', 'Node network'));
    expect(new Set(network.get('node-1 rx'))).toEqual(new Set([100_000]));
    // The long-range panel reads the hour rollup: the hour of data, 2 frameworks, 1 or 2 days.
    const daily = numericRows(result(d, 'all', 'CPU core-hours per day by framework (30 days)'));
    const total = (fw: string) => daily.filter((r) => r[1] === fw).reduce((a, r) => a + Number(r[2]), 0);
    expect(total('marathon')).toBeCloseTo(1.75, 9);
    expect(total('spark')).toBeCloseTo(2, 9);
  });

  it('frameworks: terminations, failure rates, OOM kills, resources by task', () => {
    const d = 'corral-framework';
    expect(rows(d, 'all', 'Terminations')).toEqual([[18]]);
    expect(rows(d, 'all', 'Failure rate')[0]![0]).toBeCloseTo(7 / 18, 12);
    expect(rows(d, 'all', 'OOM kills')).toEqual([[2, 1]]);
    expect(rows(d, 'all', 'Live tasks')).toEqual([[4]]);
    expect(rows(d, 'all', 'Failure rate by task')).toEqual([
      ['marathon', 'checkout', 10, 6, 1, 1, 0.6],
      ['spark', 'etl', 6, 1, 0, 1, 0.167],
      ['marathon', 'search', 2, 0, 0, 0, 0],
    ]);
    const failures = rows(d, 'all', 'Recent failures');
    expect(failures).toHaveLength(7);
    expect(failures[0]!.slice(1, 7)).toEqual([
      'spark',
      'etl',
      'etl.t17',
      'oom_killed',
      'REASON_CONTAINER_LIMITATION_MEMORY',
      137,
    ]);
    // A selection narrows everything to the task.
    expect(rows(d, 'checkout', 'Terminations')).toEqual([[10]]);
    expect(rows(d, 'checkout', 'Failure rate')).toEqual([[0.6]]);
    expect(rows(d, 'checkout', 'OOM kills')).toEqual([[1, 0]]);
    expect(rows(d, 'checkout', 'Live tasks')).toEqual([[2]]);
    const cores = valuesByLabel(result(d, 'all', 'CPU cores by task'));
    expect([...cores.keys()]).toEqual(['marathon/checkout', 'marathon/search', 'spark/etl']);
    expect(cores.get('marathon/checkout')!.every((v) => Math.abs(v - 0.75) < 1e-9)).toBe(true);
    const io = valuesByLabel(result(d, 'all', 'Disk IO by task'));
    // device = total only: not doubled by the per-device series.
    expect(new Set(io.get('spark/etl read'))).toEqual(new Set([1_000_000]));
    const fullest = valuesByLabel(result(d, 'all', 'Memory of the fullest container, % of its limit'));
    expect(fullest.get('spark/etl')![0]).toBeCloseTo((100 * 900) / 1024, 9);
  });

  it('task: app counters, error rate and timer percentiles beside container resources', () => {
    const d = 'corral-task';
    const counters = valuesByLabel(result(d, 'checkout', 'App counters per second'));
    expect([...counters.keys()]).toEqual(['demo.errors', 'demo.requests']);
    expect(new Set(counters.get('demo.requests'))).toEqual(new Set([20]));
    // 2 containers x 1 error per 10 s, then 30 + 1 from T0 + 50 min.
    const errors = counters.get('demo.errors')!;
    expect(errors.slice(0, 50).every((v) => Math.abs(v - 0.2) < 1e-9)).toBe(true);
    expect(errors.slice(50).every((v) => Math.abs(v - 3.1) < 1e-9)).toBe(true);
    const rate = valuesByLabel(result(d, 'checkout', 'App error rate (<app>.errors / <app>.requests)')).get(
      'demo',
    )!;
    expect(rate).toHaveLength(60);
    expect(rate[0]).toBeCloseTo(0.01, 12);
    expect(rate[59]).toBeCloseTo(0.155, 12);
    const timers = valuesByLabel(result(d, 'checkout', 'App timers p50 and p99'));
    expect([...timers.keys()]).toEqual(['demo.latency p50', 'demo.latency p99']);
    for (const v of timers.get('demo.latency p50')!) expect(Math.abs(v - 20) / 20).toBeLessThanOrEqual(0.01);
    for (const v of timers.get('demo.latency p99')!) expect(Math.abs(v - 80) / 80).toBeLessThanOrEqual(0.01);
    const cpu = valuesByLabel(result(d, 'checkout', 'CPU'));
    expect([...cpu.keys()].sort()).toEqual([
      'c-checkout-1',
      'c-checkout-1 limit',
      'c-checkout-2',
      'c-checkout-2 limit',
    ]);
    expect(new Set(cpu.get('c-checkout-1')!.map((v) => Math.round(v * 1e9) / 1e9))).toEqual(new Set([0.5]));
    expect(new Set(cpu.get('c-checkout-2 limit'))).toEqual(new Set([1]));
    const memory = valuesByLabel(result(d, 'checkout', 'Memory'));
    expect(new Set(memory.get('c-checkout-2'))).toEqual(new Set([128 * MiB]));
    const network = valuesByLabel(result(d, 'checkout', 'Network'));
    expect(new Set(network.get('c-checkout-1 tx'))).toEqual(new Set([2000]));
    // One container selected: only its series.
    expect([...valuesByLabel(result(d, 'checkout-1', 'CPU')).keys()].sort()).toEqual([
      'c-checkout-1',
      'c-checkout-1 limit',
    ]);
    expect(
      new Set(valuesByLabel(result(d, 'checkout-1', 'App counters per second')).get('demo.requests')),
    ).toEqual(new Set([10]));
    // The OOM kill of the etl container, in its minute.
    const oom = valuesByLabel(result(d, 'etl', 'OOM kills and CPU throttling')).get('c-etl-1 OOM kills')!;
    expect(oom.reduce((a, b) => a + b, 0)).toBe(1);
    const events = rows(d, 'checkout', 'Task events');
    expect(events).toHaveLength(20);
    expect(events.filter((e) => e[1] === 'failed')).toHaveLength(4);
  });

  it('StatsD explorer: timer percentiles from merged sketches, counters, gauges, sets', () => {
    const d = 'corral-statsd';
    const [summary, ...others] = rows(d, 'latency', 'Timer summary over the time range: $metric');
    expect(others).toEqual([]);
    expect(summary!.slice(0, 5)).toEqual(['marathon', 'checkout', 2 * 360 * 100, 25, 2]);
    expect(summary![8]).toBe(120);
    const [p50, p90, p99] = summary!.slice(5, 8) as number[];
    expect(Math.abs(p50! - 20) / 20).toBeLessThanOrEqual(0.01);
    expect(Math.abs(p90! - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Math.abs(p99! - 80) / 80).toBeLessThanOrEqual(0.01);
    const percentiles = valuesByLabel(result(d, 'latency', 'Timer percentiles: $metric'));
    expect([...percentiles.keys()]).toEqual(['p50', 'p90', 'p99', 'p99.9']);
    for (const v of percentiles.get('p99')!) expect(Math.abs(v - 80) / 80).toBeLessThanOrEqual(0.01);
    // Above the last configured percentile the sketch holds the max: clamped to it.
    expect(new Set(percentiles.get('p99.9'))).toEqual(new Set([120]));
    const samples = valuesByLabel(result(d, 'latency', 'Timer samples per second by task: $metric'));
    expect(new Set(samples.get('marathon/checkout'))).toEqual(new Set([20]));
    const perSecond = valuesByLabel(result(d, 'requests', 'Counter per second by task: $metric'));
    expect(new Set(perSecond.get('marathon/checkout'))).toEqual(new Set([20]));
    expect(new Set(perSecond.get('marathon/search'))).toEqual(new Set([5]));
    expect([
      ...valuesByLabel(result(d, 'marathon requests', 'Counter per second by task: $metric')).keys(),
    ]).toEqual(['marathon/checkout', 'marathon/search']);
    const queue = valuesByLabel(result(d, 'queue', 'Gauge by container: $metric'));
    expect(new Set(queue.get('marathon/checkout c-checkout-1'))).toEqual(new Set([5]));
    expect(new Set(queue.get('marathon/checkout c-checkout-2'))).toEqual(new Set([7]));
    expect(
      new Set(valuesByLabel(result(d, 'users', 'Set cardinality by task: $metric')).get('marathon/checkout')),
    ).toEqual(new Set([3]));
    expect(rows(d, 'latency', 'App metrics of the selected tasks')).toEqual([
      ['demo.errors', 'counter', 2, 720],
      ['demo.latency', 'timer', 2, 720],
      ['demo.queue', 'gauge', 2, 720],
      ['demo.requests', 'counter', 3, 1080],
      ['demo.users', 'set', 2, 720],
    ]);
    const errorRate = valuesByLabel(
      result(d, 'latency', 'Error rate by app (<app>.errors / <app>.requests)'),
    );
    expect(errorRate.get('marathon/checkout demo')![59]).toBeCloseTo(0.155, 12);
    expect(new Set(errorRate.get('marathon/search demo'))).toEqual(new Set([0]));
  });

  it('pipeline health: drops, dead letters, lag, insert latency, processes', () => {
    const d = 'corral-pipeline';
    // Spool 25 x 60 on node-2, kernel drops 10 x 60 and lines 5 x 30 on node-1.
    expect(rows(d, 'all', 'Records and lines dropped')).toEqual([[2250]]);
    expect(rows(d, 'node-1', 'Records and lines dropped')).toEqual([[750]]);
    expect(rows(d, 'all', 'Dead letters')).toEqual([[3]]);
    expect(rows(d, 'all', 'Consumer lag (latest)')).toEqual([[40_000]]);
    expect(rows(d, 'all', 'StatsD lines rejected')).toEqual([[2 * 360 * 2]]);
    const lag = valuesByLabel(result(d, 'all', 'Consumer lag by topic'));
    expect(lag.get('metrics')![0]).toBe(100);
    expect(lag.get('metrics')![59]).toBe(40_000);
    expect(new Set(lag.get('events'))).toEqual(new Set([0]));
    const spool = valuesByLabel(result(d, 'all', 'Spool records dropped per second'));
    expect(spool.get('node-2 full')![59]).toBe(2.5);
    expect(
      new Set(valuesByLabel(result(d, 'all', 'Insert duration by table', 'A')).get('datapoints mean')),
    ).toEqual(new Set([0.05]));
    expect(
      new Set(valuesByLabel(result(d, 'all', 'Insert duration by table', 'B')).get('datapoints p99')),
    ).toEqual(new Set([0.2]));
    const processes = rows(d, 'all', 'Agents and collectors');
    expect(processes.map((r) => [r[0], r[1], r[3]])).toEqual([
      ['agent', 'node-1', 10],
      ['agent', 'node-2', 10],
      ['collector', 'collector-1', 10],
    ]);
    expect(rows(d, 'node-1', 'Agents and collectors').map((r) => r[1])).toEqual(['node-1']);
  });
});

// ------------------------------------------------------------------------- alerts

async function evaluate(storage: Storage, rule: AlertRule) {
  const results = new Map<string, QueryResult>();
  for (const query of rule.queries) {
    const fromMs = T_END - query.fromSeconds * 1000;
    const toMs = T_END - query.toSeconds * 1000;
    // Grafana's interval for an alert query: intervalMs, or wider for maxDataPoints.
    const intervalMs = Math.max(query.intervalMs, Math.ceil((toMs - fromMs) / query.maxDataPoints));
    const sql = expandQuery(query.rawSql, { fromMs, toMs, intervalMs });
    results.set(
      query.refId,
      await runQuery(storage, sql).catch((error: unknown) => {
        throw new Error(`${rule.uid}: ${String(error)}\n${sql}`);
      }),
    );
  }
  return evaluateRule(rule, results);
}

const firing = (evaluations: Awaited<ReturnType<typeof evaluate>>) =>
  evaluations
    .filter((e) => e.firing)
    .map((e) => ({ ...e.labels, value: e.value }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('alert rules on the engine', () => {
  it('every rule fires on the incident and stays quiet on the healthy data', async () => {
    for (const rule of RULES) {
      expect(
        firing(await evaluate(incident.storage, rule)).length,
        `${rule.uid} on the incident`,
      ).toBeGreaterThan(0);
      expect(firing(await evaluate(healthy.storage, rule)), `${rule.uid} on the healthy data`).toEqual([]);
    }
  });

  const rule = (uid: string) => RULES.find((r) => r.uid === uid)!;

  it('task failure rate: the framework over 20% of its terminations in the hour', async () => {
    const r = rule('corral-task-failure-rate');
    expect(firing(await evaluate(incident.storage, r))).toEqual([{ framework: 'marathon', value: 0.5 }]);
    const quiet = await evaluate(healthy.storage, r);
    expect(quiet.map((e) => [e.labels.framework, e.value])).toEqual(
      expect.arrayContaining([
        ['marathon', 1 / 11],
        ['spark', 0],
      ]),
    );
    // spark's 1 OOM kill in 6 terminations is under the threshold.
    const spark = (await evaluate(incident.storage, r)).find((e) => e.labels.framework === 'spark')!;
    expect(spark).toMatchObject({ firing: false });
    expect(spark.value).toBeCloseTo(1 / 6, 12);
  });

  it('app error rate: <app>.errors over <app>.requests per framework and task', async () => {
    const r = rule('corral-app-error-rate');
    const all = await evaluate(incident.storage, r);
    expect(firing(all)).toEqual([
      { framework: 'marathon', task: 'checkout', app: 'demo', value: (1800 + 60) / 12_000 },
    ]);
    expect(all.find((e) => e.labels.task === 'search')).toMatchObject({ value: 0, firing: false });
    const quiet = await evaluate(healthy.storage, r);
    expect(quiet.find((e) => e.labels.task === 'checkout')?.value).toBeCloseTo(0.01, 12);
  });

  it('OOM kills: the task killed by its memory limit in the last 10 minutes', async () => {
    const r = rule('corral-oom-kills');
    // checkout's oom_killed at T0 + 45 min is outside the window.
    expect(firing(await evaluate(incident.storage, r))).toEqual([
      { framework: 'spark', task: 'etl', value: 1 },
    ]);
    expect(await evaluate(healthy.storage, r)).toEqual([]);
  });

  it('pipeline drops, dead letters and consumer lag', async () => {
    expect(firing(await evaluate(incident.storage, rule('corral-pipeline-drops')))).toEqual([
      { component: 'agent', host: 'node-1', metric: 'corral_statsd_lines_dropped_total', value: 150 },
      { component: 'agent', host: 'node-1', metric: 'corral_statsd_udp_kernel_drops_total', value: 600 },
      { component: 'agent', host: 'node-2', metric: 'corral_spool_dropped_records_total', value: 1500 },
    ]);
    expect(firing(await evaluate(incident.storage, rule('corral-dead-letters')))).toEqual([
      { host: 'collector-1', reason: 'undecodable', value: 3 },
    ]);
    const lag = await evaluate(incident.storage, rule('corral-consumer-lag'));
    expect(firing(lag)).toEqual([{ topic: 'metrics', value: 40_000 }]);
    expect(lag.find((e) => e.labels.topic === 'events')).toMatchObject({ value: 0, firing: false });
    const quietLag = await evaluate(healthy.storage, rule('corral-consumer-lag'));
    expect(quietLag.find((e) => e.labels.topic === 'metrics')?.value).toBe(100);
  });
});

// The fixtures' containers are the ones the dashboards show.
it('fixtures: four containers of three tasks', () => {
  expect(CONTAINERS.map((c) => `${c.framework}/${c.task}`)).toEqual([
    'marathon/checkout',
    'marathon/checkout',
    'marathon/search',
    'spark/etl',
  ]);
});
