/**
 * What Grafana does to a ClickHouse query before the engine sees it, for the dashboard tests:
 *
 * 1. Template variables (Grafana's frontend, templateSrv.replace with the datasource's
 *    format function, grafana/clickhouse-datasource src/data/CHDatasource.ts
 *    applyTemplateVariables): `$name`, `${name}`, `${name:format}`, `[[name]]`. A multi-value
 *    variable without a format becomes `'a','b'` (the datasource's own format, no escaping);
 *    `:singlequote` quotes each value and escapes `'` as `\'`. "All" with a custom all value
 *    inserts that value as it is, unformatted (Grafana skips formatting for custom all values,
 *    but for the text format); "All" without one means every option. Unknown names stay.
 * 2. The plugin's macros (its backend, grafana/clickhouse-datasource pkg/macros/macros.go,
 *    run through grafana-plugin-sdk-go data/sqlutil/macros.go Interpolate):
 *    - `$__fromTime` / `$__toTime`: `toDateTime(<unix seconds>)`, the seconds truncated;
 *    - `$__fromTime_ms` / `$__toTime_ms`: `fromUnixTimestamp64Milli(<unix ms>)`;
 *    - `$__timeFilter(col)`: `col >= toDateTime(from s) AND col <= toDateTime(to s)`, the same
 *      for DateTime and DateTime64 columns (seconds precision: a DateTime64 row in the last
 *      second of the range is left out);
 *    - `$__timeFilter_ms(col)`: the same with `fromUnixTimestamp64Milli(ms)`;
 *    - `$__dateFilter(col)`: `col >= toDate('YYYY-MM-DD') AND col <= toDate(...)` (UTC);
 *    - `$__dateTimeFilter(dateCol, timeCol)` / `$__dt(...)`: both, each in parentheses;
 *    - `$__timeInterval(col)`: `toStartOfInterval(toDateTime(col), INTERVAL <s> second)`, s the
 *      query interval in whole seconds, at least 1;
 *    - `$__timeInterval_ms(col)`: `toStartOfInterval(toDateTime64(col, 3), INTERVAL <ms> millisecond)`;
 *    - `$__interval_s`: the interval in whole seconds, at least 1.
 *    A macro takes arguments only from a `(` right after its name (anything else, a space
 *    included, ends it), nested parentheses kept whole, split on top-level commas, trimmed;
 *    a missing `)` is an error. The name must end at a word boundary (`$__timeFilter` is not
 *    `$__timeFilter_ms`).
 * Anything left that looks like a macro or a variable is an error here, so a typo fails the
 * test instead of reaching the engine as text.
 */

export interface TimeRange {
  fromMs: number;
  toMs: number;
  /** The query interval (Grafana's $__interval), in ms. */
  intervalMs: number;
}

export interface VariableValue {
  /** The selected values (every option when all is true and there is no custom all value). */
  values: readonly string[];
  all: boolean;
  /** The variable's custom all value, inserted as it is when all is true. */
  allValue?: string;
  multi: boolean;
}

const toDateTime = (ms: number) => `toDateTime(${Math.floor(ms / 1000)})`;
const toDateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.trunc(ms)})`;
const toDate = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
const seconds = (range: TimeRange) => Math.max(Math.trunc(range.intervalMs / 1000), 1);

type Macro = (args: string[], range: TimeRange) => string;

function oneArg(name: string, args: string[]): string {
  if (args.length !== 1 || args[0] === '')
    throw new Error(`$__${name}: expected 1 argument, got ${args.length}`);
  return args[0]!;
}

const MACROS: Readonly<Record<string, Macro>> = {
  fromTime: (_, r) => toDateTime(r.fromMs),
  toTime: (_, r) => toDateTime(r.toMs),
  fromTime_ms: (_, r) => toDateTime64(r.fromMs),
  toTime_ms: (_, r) => toDateTime64(r.toMs),
  timeFilter: (a, r) => {
    const c = oneArg('timeFilter', a);
    return `${c} >= ${toDateTime(r.fromMs)} AND ${c} <= ${toDateTime(r.toMs)}`;
  },
  timeFilter_ms: (a, r) => {
    const c = oneArg('timeFilter_ms', a);
    return `${c} >= ${toDateTime64(r.fromMs)} AND ${c} <= ${toDateTime64(r.toMs)}`;
  },
  dateFilter: (a, r) => {
    const c = oneArg('dateFilter', a);
    return `${c} >= ${toDate(r.fromMs)} AND ${c} <= ${toDate(r.toMs)}`;
  },
  dateTimeFilter: (a, r) => dateTimeFilter(a, r),
  dt: (a, r) => dateTimeFilter(a, r),
  timeInterval: (a, r) =>
    `toStartOfInterval(toDateTime(${oneArg('timeInterval', a)}), INTERVAL ${seconds(r)} second)`,
  timeInterval_ms: (a, r) =>
    `toStartOfInterval(toDateTime64(${oneArg('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.trunc(r.intervalMs), 1)} millisecond)`,
  interval_s: (_, r) => String(seconds(r)),
};

function dateTimeFilter(args: string[], r: TimeRange): string {
  if (args.length !== 2) throw new Error(`$__dateTimeFilter: expected 2 arguments, got ${args.length}`);
  const [d, t] = args as [string, string];
  return `(${d} >= ${toDate(r.fromMs)} AND ${d} <= ${toDate(r.toMs)}) AND (${t} >= ${toDateTime(r.fromMs)} AND ${t} <= ${toDateTime(r.toMs)})`;
}

/** Arguments of a macro from `text` (starting at the `(`): [args, length consumed]. */
function parseArgs(text: string): [string[], number] {
  if (text[0] !== '(') return [[], 0];
  const args: string[] = [];
  let depth = 0;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return [args.length === 1 && args[0] === '' ? [] : args, i + 1];
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`macro arguments without a closing parenthesis: ${text.slice(0, 60)}`);
}

/** The plugin's macros expanded over the range. */
export function expandMacros(sql: string, range: TimeRange): string {
  let out = '';
  let rest = sql;
  const macro = /\$__([A-Za-z_]\w*)/;
  for (let match = macro.exec(rest); match !== null; match = macro.exec(rest)) {
    // Longest name first: the word boundary rule (fromTime is not fromTime_ms).
    const name = match[1]!;
    const fn = MACROS[name];
    if (fn === undefined) throw new Error(`unknown macro $__${name}`);
    const after = rest.slice(match.index + match[0].length);
    const [args, used] = parseArgs(after);
    out += rest.slice(0, match.index) + fn(args, range);
    rest = after.slice(used);
  }
  return out + rest;
}

function singleQuote(value: string): string {
  return `'${value.replace(/'/g, "\\'")}'`;
}

function format(variable: VariableValue, fmt: string | undefined): string {
  if (variable.all && variable.allValue !== undefined && fmt !== 'text') return variable.allValue;
  const values = variable.values;
  switch (fmt) {
    case undefined:
      // The datasource's format function: arrays as 'a','b', single values raw.
      return variable.multi ? `'${values.join("','")}'` : (values[0] ?? '');
    case 'singlequote':
      return values.map(singleQuote).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'csv':
    case 'raw':
      return values.join(',');
    case 'text':
      return variable.all ? 'All' : values.join(' + ');
    default:
      throw new Error(`variable format ${fmt} not supported by the test expander`);
  }
}

/** Grafana's variable syntaxes (templateSrv's regex). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/** Template variables replaced as Grafana's frontend does; unknown names are left as they are. */
export function interpolateVariables(sql: string, variables: ReadonlyMap<string, VariableValue>): string {
  return sql.replace(
    VARIABLE,
    (text, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, bracedFmt?: string) => {
      const name = plain ?? bracket ?? braced!;
      const variable = variables.get(name);
      if (variable === undefined) return text;
      return format(variable, bracketFmt ?? bracedFmt);
    },
  );
}

/** Variables, then macros; throws on anything left that looks like either. */
export function expandQuery(
  sql: string,
  range: TimeRange,
  variables: ReadonlyMap<string, VariableValue> = new Map(),
): string {
  const expanded = expandMacros(interpolateVariables(sql, variables), range);
  const left = /\$\{?\w+|\[\[\w+/.exec(expanded);
  if (left !== null) throw new Error(`not expanded: ${left[0]} in\n${expanded}`);
  return expanded;
}
