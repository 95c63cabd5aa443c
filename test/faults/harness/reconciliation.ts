/**
 * Reading back what a scenario stored: through the collector's POST /v0/query while it runs,
 * or from its data directory once it stopped; and the exact reconciliation of the load.
 */
import { queryDataDir } from '../../helpers/collector-process.js';
import { collectorQuery } from '../../helpers/start-process.js';
import { type SteadyLoad, seriesKey } from './load.js';

/** Read-only SQL against the scenario's ClickHouse. */
export type Query = <T = Record<string, unknown>>(sql: string) => Promise<T[]>;

/** Through a running collector's POST /v0/query (embedded storage). */
export function httpQuery(collectorBase: string): Query {
  return (sql) => collectorQuery(collectorBase, sql);
}

/** From a data directory no process holds open. */
export function dataDirQuery(dataDir: string): Query {
  return <T>(sql: string) => queryDataDir<T>(dataDir, sql);
}

const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Lines of a scenario's load stored so far: the sum of its counters (each line adds 1). */
export async function storedLines(
  query: Query,
  scenario: string,
  namePrefix = 'faults.load.',
): Promise<number> {
  const [row] = await query<{ lines: number | null }>(
    `SELECT sum(value) AS lines FROM datapoints WHERE tags['scenario'] = ${quote(scenario)} ` +
      `AND startsWith(name, ${quote(namePrefix)})`,
  );
  return Number(row?.lines ?? 0);
}

export interface StoredSeries {
  /** Stored lines per series key (`name|container`). */
  bySeries: Map<string, number>;
  /** Lines stored (duplicated rows included). */
  stored: number;
  /** Rows stored. */
  rows: number;
  /** Rows beyond one per (series, time): the same flush stored twice. */
  duplicates: number;
  /** Lines in the duplicated rows. */
  duplicatedLines: number;
}

/** What is stored of the counters named `namePrefix`* tagged `scenario`, per series. */
export async function storedSeries(
  query: Query,
  scenario: string,
  namePrefix = 'faults.load.',
): Promise<StoredSeries> {
  // One row per (series, flush time); 64-bit counts come quoted, hence the casts.
  const groups = await query<{ name: string; container: string; rows: number; lines: number; extra: number }>(
    `SELECT name, container_id AS container, toUInt32(count()) AS rows, sum(value) AS lines,
       toUInt32(count() - 1) AS extra
     FROM datapoints WHERE tags['scenario'] = ${quote(scenario)} AND startsWith(name, ${quote(namePrefix)})
     GROUP BY name, container_id, time`,
  );
  const result: StoredSeries = { bySeries: new Map(), stored: 0, rows: 0, duplicates: 0, duplicatedLines: 0 };
  for (const g of groups) {
    const key = seriesKey(g.name, g.container);
    const lines = Number(g.lines);
    result.bySeries.set(key, (result.bySeries.get(key) ?? 0) + lines);
    result.stored += lines;
    result.rows += Number(g.rows);
    result.duplicates += Number(g.extra);
    if (g.extra > 0) result.duplicatedLines += (lines * Number(g.extra)) / Number(g.rows);
  }
  return result;
}

/** The load's sent lines per series, as storedSeries reports them. */
export function sentBySeries(load: SteadyLoad): Map<string, number> {
  return new Map([...load.sentBySeries].sort(([a], [b]) => a.localeCompare(b)));
}

/** Sorted copy, for comparing maps with toEqual. */
export function sorted(map: Map<string, number>): Map<string, number> {
  return new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Polls until at least `target` lines of the scenario are stored; resolves with the time it
 * took from `sinceMs` (performance.now() at the fault's end). Rejects after `timeoutMs`, with
 * what `explain` says of the pipeline's state (where the lines are held).
 */
export async function waitForStored(
  query: Query,
  scenario: string,
  target: number,
  sinceMs: number,
  timeoutMs = 60_000,
  explain?: () => Promise<string>,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stored = await storedLines(query, scenario).catch(() => -1);
    if (stored >= target) return Math.round(performance.now() - sinceMs);
    if (performance.now() > deadline) {
      const state = explain ? await explain().catch((error: unknown) => `(no state: ${error})`) : '';
      throw new Error(
        `timed out waiting for ${target} stored lines of ${scenario}; stored ${stored}${state}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
