/**
 * A Grafana alert rule's expressions applied to its query's result, as Grafana's server-side
 * expressions do for a SQL datasource:
 * - a table without a time column is numeric data: each row one number, labeled by its
 *   string columns (exactly one numeric column; two rows with the same labels are an error);
 * - a time series result (a time column first) becomes one series per set of string columns;
 * - reduce (last, min, max, mean, sum, count; mode dropNN drops nulls and NaN) turns each
 *   series into one number and passes numbers through;
 * - threshold compares each number (gt, gte, lt, lte, within_range, outside_range): 1 fires.
 * Other expression types are errors here, so a rule using one gets a test first.
 */
import type { AlertRule, Json } from './grafana-model.js';
import type { QueryResult } from './query-runner.js';

export interface Series {
  labels: Record<string, string>;
  /** [time ms or undefined for a number, value]. */
  points: [number | undefined, number | null][];
}

export interface Evaluation {
  labels: Record<string, string>;
  value: number | null;
  firing: boolean;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const TIME = /^(Nullable\()?DateTime/;
const STRING = /^(Nullable\()?(LowCardinality\()?(Nullable\()?(String|FixedString)/;

export function toSeries(result: QueryResult): Series[] {
  const numeric = result.columns.filter((c) => NUMERIC.test(c.type));
  const time = result.columns.filter((c) => TIME.test(c.type));
  const strings = result.columns.filter((c) => STRING.test(c.type));
  if (numeric.length !== 1)
    throw new Error(`expected one numeric column, got ${numeric.map((c) => c.name).join(', ') || 'none'}`);
  if (time.length > 1) throw new Error('more than one time column');
  if (numeric.length + time.length + strings.length !== result.columns.length)
    throw new Error(`columns of other types: ${result.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`);
  const value = numeric[0]!.name;
  const series = new Map<string, Series>();
  for (const row of result.rows) {
    const labels = Object.fromEntries(strings.map((c) => [c.name, String(row[c.name])]));
    const key = JSON.stringify(labels);
    const raw = row[value];
    const number = raw === null || raw === undefined ? null : Number(raw);
    const at = time.length === 1 ? Date.parse(`${String(row[time[0]!.name]).replace(' ', 'T')}Z`) : undefined;
    const existing = series.get(key);
    if (existing === undefined) series.set(key, { labels, points: [[at, number]] });
    else if (at === undefined) throw new Error(`duplicate labels ${key} in numeric data`);
    else existing.points.push([at, number]);
  }
  for (const s of series.values()) s.points.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
  return [...series.values()];
}

function reduce(series: Series, model: Json): number | null {
  const dropNN = model.settings?.mode === 'dropNN';
  let values = series.points.map(([, v]) => v);
  if (dropNN) values = values.filter((v) => v !== null && !Number.isNaN(v));
  // A number (no time) passes through whatever the reducer.
  if (series.points.length === 1 && series.points[0]![0] === undefined) return values[0] ?? null;
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return null;
  switch (model.reducer) {
    case 'last':
      return values.at(-1) ?? null;
    case 'min':
      return Math.min(...present);
    case 'max':
      return Math.max(...present);
    case 'sum':
      return present.reduce((a, b) => a + b, 0);
    case 'mean':
      return present.reduce((a, b) => a + b, 0) / present.length;
    case 'count':
      return values.length;
    default:
      throw new Error(`reducer ${model.reducer} not supported by the test evaluator`);
  }
}

function threshold(value: number | null, model: Json): boolean {
  if (value === null || Number.isNaN(value)) return false;
  const conditions: Json[] = model.conditions ?? [];
  if (conditions.length !== 1) throw new Error('expected one threshold condition');
  const { type, params } = conditions[0].evaluator;
  const [a, b] = params as [number, number];
  switch (type) {
    case 'gt':
      return value > a;
    case 'gte':
      return value >= a;
    case 'lt':
      return value < a;
    case 'lte':
      return value <= a;
    case 'within_range':
      return value > a && value < b;
    case 'outside_range':
      return value < a || value > b;
    default:
      throw new Error(`threshold ${type} not supported by the test evaluator`);
  }
}

/** The rule's condition per label set, from its query's result. */
export function evaluateRule(rule: AlertRule, results: ReadonlyMap<string, QueryResult>): Evaluation[] {
  const numbers = new Map<string, Map<string, { labels: Record<string, string>; value: number | null }>>();
  const resolve = (refId: string): Map<string, { labels: Record<string, string>; value: number | null }> => {
    const known = numbers.get(refId);
    if (known !== undefined) return known;
    const model = rule.expressions.get(refId);
    if (model === undefined) throw new Error(`${rule.uid}: ${refId} is not an expression`);
    const out = new Map<string, { labels: Record<string, string>; value: number | null }>();
    if (model.type === 'reduce') {
      const input = results.get(model.expression);
      if (input === undefined) throw new Error(`${rule.uid}: reduce of ${model.expression}, not a query`);
      for (const series of toSeries(input))
        out.set(JSON.stringify(series.labels), { labels: series.labels, value: reduce(series, model) });
    } else if (model.type === 'threshold') {
      for (const [key, { labels, value }] of resolve(model.expression))
        out.set(key, { labels, value: threshold(value, model) ? 1 : 0 });
    } else throw new Error(`${rule.uid}: expression type ${model.type} not supported by the test evaluator`);
    numbers.set(refId, out);
    return out;
  };
  const condition = rule.expressions.get(rule.condition);
  if (condition?.type !== 'threshold') throw new Error(`${rule.uid}: the condition is not a threshold`);
  const inputs = resolve(condition.expression);
  return [...resolve(rule.condition)].map(([key, { labels, value }]) => ({
    labels,
    value: inputs.get(key)!.value,
    firing: value === 1,
  }));
}
