import type { FieldSpec } from '../shared/point-builder.js';
import { CGROUP_FIELDS } from './readers/fields.js';

/** "memory.workingSet" -> "container.memory.working_set"; "net.rxBytes" -> "container.network.rx_bytes". */
export function metricName(field: string): string {
  const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return `container.${snake.startsWith('net.') ? `network.${snake.slice(4)}` : snake}`;
}

/** Derived from two readings of the same scrape, not read from a file. */
export const DERIVED_FIELDS: readonly (FieldSpec & { description: string })[] = [
  {
    name: 'container.cpu.percent_of_limit',
    unit: 'percent',
    kind: 'gauge',
    description:
      'cpu used over the interval (the rate of container.cpu.usage, in cores) / the cpu limit x 100.',
  },
  {
    name: 'container.memory.percent_of_limit',
    unit: 'percent',
    kind: 'gauge',
    description: 'container.memory.usage / container.memory.limit x 100.',
  },
];

/** Every metric the cgroup source emits, as the point builder needs them. */
export const CONTAINER_FIELD_SPECS: readonly FieldSpec[] = [
  ...CGROUP_FIELDS.map((f) => ({
    name: metricName(f.name),
    unit: f.unit,
    kind: f.cumulative ? ('cumulative' as const) : ('gauge' as const),
  })),
  ...DERIVED_FIELDS,
];
