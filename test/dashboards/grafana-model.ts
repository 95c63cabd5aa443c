/**
 * The dashboards, variables and alert rules of dashboards/, read from the files as Grafana
 * provisions them, and every ClickHouse query in them found by walking the JSON and YAML:
 * a panel or rule added later is tested without touching the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const DASHBOARDS_DIR = new URL('../../dashboards/', import.meta.url).pathname;
export const DATASOURCE_UID = 'corral-clickhouse';
export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';

// biome-ignore lint/suspicious/noExplicitAny: the Grafana JSON model is untyped here
export type Json = any;

export interface DashboardFile {
  file: string;
  json: Json;
}

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  panel: string;
  refId: string;
  rawSql: string;
  /** 0 time series, 1 table (the plugin's Format). */
  format: number;
  /** The panel's minimum interval (e.g. "1m"), if any. */
  interval?: string;
  /** The panel's relative time override (e.g. "30d"), if any. */
  timeFrom?: string;
}

export interface VariableQuery {
  dashboard: string;
  name: string;
  rawSql: string;
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
}

export interface AlertQuery {
  refId: string;
  rawSql: string;
  format: number;
  fromSeconds: number;
  toSeconds: number;
  intervalMs: number;
  maxDataPoints: number;
}

export interface AlertRule {
  group: string;
  uid: string;
  title: string;
  condition: string;
  queries: AlertQuery[];
  /** Expressions by refId (the models of the __expr__ nodes). */
  expressions: Map<string, Json>;
  raw: Json;
}

export function dashboardFiles(): DashboardFile[] {
  const dir = join(DASHBOARDS_DIR, 'json');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
}

export function readYaml(relative: string): Json {
  return parse(readFileSync(join(DASHBOARDS_DIR, relative), 'utf8'));
}

/** Every panel, rows' nested panels included. */
export function allPanels(dashboard: Json): Json[] {
  const out: Json[] = [];
  const walk = (panels: Json[] | undefined) => {
    for (const panel of panels ?? []) {
      out.push(panel);
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

export function panelQueries(file: DashboardFile): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of allPanels(file.json)) {
    for (const target of panel.targets ?? []) {
      out.push({
        dashboard: file.json.uid,
        panelId: panel.id,
        panel: panel.title,
        refId: target.refId,
        rawSql: target.rawSql,
        format: target.format,
        interval: panel.interval,
        timeFrom: panel.timeFrom,
      });
    }
  }
  return out;
}

export function variableQueries(file: DashboardFile): VariableQuery[] {
  return (file.json.templating?.list ?? [])
    .filter((v: Json) => v.type === 'query')
    .map((v: Json) => ({
      dashboard: file.json.uid,
      name: v.name,
      // A plain string, or the plugin's variable query object.
      rawSql: typeof v.query === 'string' ? v.query : v.query?.rawSql,
      multi: v.multi === true,
      includeAll: v.includeAll === true,
      allValue: v.allValue || undefined,
    }));
}

export function alertRules(): AlertRule[] {
  const doc = readYaml('provisioning/alerting/corral-alerts.yaml');
  const rules: AlertRule[] = [];
  for (const group of doc.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const queries: AlertQuery[] = [];
      const expressions = new Map<string, Json>();
      for (const node of rule.data ?? []) {
        if (node.datasourceUid === '__expr__') expressions.set(node.refId, node.model);
        else
          queries.push({
            refId: node.refId,
            rawSql: node.model?.rawSql,
            format: node.model?.format,
            fromSeconds: node.relativeTimeRange?.from,
            toSeconds: node.relativeTimeRange?.to,
            intervalMs: node.model?.intervalMs ?? 1000,
            maxDataPoints: node.model?.maxDataPoints ?? 43200,
          });
      }
      rules.push({
        group: group.name,
        uid: rule.uid,
        title: rule.title,
        condition: rule.condition,
        queries,
        expressions,
        raw: rule,
      });
    }
  }
  return rules;
}

/** Every string under a key named rawSql, anywhere: what the structured readers must all find. */
export function rawSqlStrings(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(rawSqlStrings);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === 'rawSql' && typeof v === 'string' ? [v] : rawSqlStrings(v),
  );
}

/** "30d", "6h", "1m", "10s" in ms. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text);
  if (match === null) throw new Error(`not a Grafana duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2]!]!;
  return Number(match[1]) * unit;
}
