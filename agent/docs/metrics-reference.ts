import { DERIVED_FIELDS, metricName } from '../sources/cgroup/metric-names.js';
import { CGROUP_FIELDS } from '../sources/cgroup/readers/fields.js';
import { NODE_FIELDS } from '../sources/node/fields.js';
import { selfMetricsReference } from './self-metrics-reference.js';

export const METRICS_START = '<!-- metrics-reference:start -->';
export const METRICS_END = '<!-- metrics-reference:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The tables of docs/metrics.md, from the sources' own field tables, so they cannot drift. */
export function metricsReference(): string {
  const container = [
    '### Container metrics (`cgroup` source)',
    '',
    '| metric | kind | unit | cgroup v2 source | cgroup v1 source | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...CGROUP_FIELDS.map(
      (f) =>
        `| \`${metricName(f.name)}\` | ${f.cumulative ? 'counter' : 'gauge'} | ${f.unit} | ${cell(f.v2)} | ${cell(f.v1 || '-')} | ${cell(f.description)} |`,
    ),
    ...DERIVED_FIELDS.map(
      (f) => `| \`${f.name}\` | ${f.kind} | ${f.unit} | derived | derived | ${cell(f.description)} |`,
    ),
  ];
  const node = [
    '### Node metrics (`node` source)',
    '',
    '| metric | kind | unit | tags | source | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...NODE_FIELDS.map(
      (f) =>
        `| \`${f.name}\` | ${f.kind === 'cumulative' ? 'counter' : 'gauge'} | ${f.unit} | ${f.tags.join(', ') || '-'} | ${cell(f.source)} | ${cell(f.description)} |`,
    ),
  ];
  return [...container, '', ...node, '', selfMetricsReference()].join('\n');
}

export function replaceMetricsReference(markdown: string): string {
  const start = markdown.indexOf(METRICS_START);
  const end = markdown.indexOf(METRICS_END);
  if (start < 0 || end < start) throw new Error(`missing ${METRICS_START} ... ${METRICS_END} markers`);
  return `${markdown.slice(0, start + METRICS_START.length)}\n${metricsReference()}\n${markdown.slice(end)}`;
}
