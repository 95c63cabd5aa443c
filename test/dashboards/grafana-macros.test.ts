/** The test expander does what Grafana and the ClickHouse plugin do (see grafana-macros.ts). */
import { describe, expect, it } from 'vitest';
import { expandMacros, expandQuery, interpolateVariables, type VariableValue } from './grafana-macros.js';

// 2026-01-02 03:04:05.678 UTC to an hour later, a 90.5 s interval.
const FROM = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const RANGE = { fromMs: FROM, toMs: FROM + 3_600_000, intervalMs: 90_500 };
const S = Math.floor(FROM / 1000);

describe('macros', () => {
  it('expands the time macros in seconds (truncated) or milliseconds', () => {
    expect(expandMacros('$__fromTime,$__toTime,$__fromTime_ms,$__toTime_ms', RANGE)).toBe(
      `toDateTime(${S}),toDateTime(${S + 3600}),fromUnixTimestamp64Milli(${FROM}),fromUnixTimestamp64Milli(${FROM + 3_600_000})`,
    );
    expect(expandMacros('WHERE $__timeFilter(time) AND $__timeFilter_ms( t2 )', RANGE)).toBe(
      `WHERE time >= toDateTime(${S}) AND time <= toDateTime(${S + 3600}) AND ` +
        `t2 >= fromUnixTimestamp64Milli(${FROM}) AND t2 <= fromUnixTimestamp64Milli(${FROM + 3_600_000})`,
    );
    expect(expandMacros('$__dateFilter(d)', RANGE)).toBe(
      "d >= toDate('2026-01-02') AND d <= toDate('2026-01-02')",
    );
    expect(expandMacros('$__dt(d, t)', RANGE)).toBe(
      `(d >= toDate('2026-01-02') AND d <= toDate('2026-01-02')) AND (t >= toDateTime(${S}) AND t <= toDateTime(${S + 3600}))`,
    );
  });

  it('expands the interval macros in whole seconds, at least 1', () => {
    expect(expandMacros('$__timeInterval(toStartOfMinute(time)) / $__interval_s', RANGE)).toBe(
      'toStartOfInterval(toDateTime(toStartOfMinute(time)), INTERVAL 90 second) / 90',
    );
    expect(expandMacros('$__timeInterval_ms(time)', RANGE)).toBe(
      'toStartOfInterval(toDateTime64(time, 3), INTERVAL 90500 millisecond)',
    );
    expect(expandMacros('$__interval_s', { ...RANGE, intervalMs: 200 })).toBe('1');
  });

  it('takes arguments only from a parenthesis right after the name', () => {
    expect(expandMacros('$__interval_s*(a + b) > 1 AND x IN (1, 2)', RANGE)).toBe(
      '90*(a + b) > 1 AND x IN (1, 2)',
    );
    expect(expandMacros('$__fromTime (x)', RANGE)).toBe(`toDateTime(${S}) (x)`);
    expect(() => expandMacros('$__timeFilter(time', RANGE)).toThrow(/closing parenthesis/);
    expect(() => expandMacros('$__timeFilter()', RANGE)).toThrow(/expected 1 argument/);
    expect(() => expandMacros('$__timeGroup(time, 1m)', RANGE)).toThrow(/unknown macro/);
  });
});

describe('variables', () => {
  const vars = new Map<string, VariableValue>([
    ['fw', { values: ['a', "o'k"], all: false, multi: true }],
    ['one', { values: ['x'], all: false, multi: false }],
    ['every', { values: ['p', 'q'], all: true, allValue: "'__all'", multi: true }],
    ['plain', { values: ['p', 'q'], all: true, multi: true }],
  ]);

  it('formats values as Grafana does', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
    expect(interpolateVariables('IN (${fw:singlequote}) $one ${one} [[one]] ${fw:csv}', vars)).toBe(
      "IN ('a','o\\'k') x x x a,o'k",
    );
    // Without a format: the datasource joins a multi-value variable quoted, unescaped.
    expect(interpolateVariables('IN ($fw)', vars)).toBe("IN ('a','o'k')");
    // All: a custom all value as it is, else every option.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
    expect(interpolateVariables('${every:singlequote} ${plain:singlequote} ${every:text}', vars)).toBe(
      "'__all' 'p','q' All",
    );
    // Macros and unknown names are left for later.
    expect(interpolateVariables('$__fromTime $nope', vars)).toBe('$__fromTime $nope');
  });

  it('refuses a query with anything left unexpanded', () => {
    expect(() => expandQuery('SELECT $nope', RANGE, vars)).toThrow(/not expanded: \$nope/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
    expect(expandQuery('SELECT ${one:singlequote}, $__interval_s', RANGE, vars)).toBe("SELECT 'x', 90");
  });
});
