/**
 * Datapoints and dimensions in the shapes of the DC/OS node metrics API v0 (dcos-metrics):
 * `{datapoints: [{name, value, unit, timestamp, tags}], dimensions: {mesos_id, ...}}`.
 */
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions } from '../../lib/model/dimensions.js';

export interface DcosDatapoint {
  name: string;
  /** null for a value JSON cannot hold (NaN, infinities). */
  value: number | null;
  unit: string;
  /** RFC 3339, UTC: "2026-11-22T11:35:10Z", with milliseconds when they are not zero. */
  timestamp: string;
  tags: Record<string, string>;
}

/** DC/OS's dimension names; mesos_id and hostname are always there (empty when unknown), the rest when known. */
export interface DcosDimensions {
  mesos_id: string;
  cluster_id?: string;
  container_id?: string;
  executor_id?: string;
  framework_name?: string;
  framework_id?: string;
  framework_role?: string;
  framework_principal?: string;
  task_name?: string;
  task_id?: string;
  hostname: string;
  labels?: Record<string, string>;
}

export interface DcosMetrics {
  datapoints: DcosDatapoint[];
  dimensions: DcosDimensions;
}

/** RFC 3339 in UTC; whole seconds are written without a fraction, as dcos-metrics wrote them. */
export function rfc3339(timeMs: number): string {
  const text = new Date(timeMs).toISOString();
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * The API's datapoints for the model's: one each, and for a timer (whose value is the mean)
 * its summary as well, as `<name>.count`, `.sum`, `.min`, `.max`, `.stddev` and one
 * `<name>.p<percentile>` per configured percentile ("99.9" becomes `p99_9`).
 */
export function dcosDatapoints(points: readonly Datapoint[]): DcosDatapoint[] {
  const out: DcosDatapoint[] = [];
  for (const point of points) {
    const timestamp = rfc3339(point.timeMs);
    const tags = point.tags;
    out.push({ name: point.name, value: finite(point.value), unit: point.unit, timestamp, tags });
    const timer = point.timer;
    if (timer === undefined) continue;
    const add = (suffix: string, value: number, unit: string) =>
      out.push({ name: `${point.name}.${suffix}`, value: finite(value), unit, timestamp, tags });
    add('count', timer.count, 'count');
    add('sum', timer.sum, point.unit);
    add('min', timer.min, point.unit);
    add('max', timer.max, point.unit);
    add('stddev', timer.stddev, point.unit);
    for (const [percentile, value] of Object.entries(timer.percentiles))
      add(`p${percentile.replace('.', '_')}`, value, point.unit);
  }
  return out;
}

/** corral's dimensions under DC/OS's names (agent_id is mesos_id). */
export function dcosDimensions(dimensions: Readonly<Dimensions>): DcosDimensions {
  const out: DcosDimensions = { mesos_id: dimensions.agent_id ?? '', hostname: '' };
  if (dimensions.cluster_id !== undefined) out.cluster_id = dimensions.cluster_id;
  if (dimensions.container_id !== undefined) out.container_id = dimensions.container_id;
  if (dimensions.executor_id !== undefined) out.executor_id = dimensions.executor_id;
  if (dimensions.framework_name !== undefined) out.framework_name = dimensions.framework_name;
  if (dimensions.framework_id !== undefined) out.framework_id = dimensions.framework_id;
  if (dimensions.framework_role !== undefined) out.framework_role = dimensions.framework_role;
  if (dimensions.task_name !== undefined) out.task_name = dimensions.task_name;
  if (dimensions.task_id !== undefined) out.task_id = dimensions.task_id;
  out.hostname = dimensions.hostname ?? '';
  if (dimensions.labels !== undefined && Object.keys(dimensions.labels).length > 0)
    out.labels = { ...dimensions.labels };
  return out;
}
