import { isObject, type JsonObject, listField, text } from './json-shapes.js';

type SkipCounter = (reason: string) => void;

/**
 * Mesos Labels (`[{key, value}]`) as a record. A label without a value is "" (value is
 * optional in mesos.proto); an entry without a key is skipped.
 */
export function labelsOf(owner: JsonObject, onSkipped: SkipCounter): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of listField(owner, 'labels', onSkipped)) {
    const key = isObject(label) ? text(label.key) : undefined;
    if (!isObject(label) || key === undefined) {
      onSkipped('malformed_label');
      continue;
    }
    labels[key] = typeof label.value === 'string' ? label.value : '';
  }
  return labels;
}

/**
 * A ContainerID: /containers writes its `container_id` as the plain value, task statuses as
 * `{value, parent?}`; either way the value is the container's own id (its cgroup directory).
 */
export function containerIdOf(value: unknown): string | undefined {
  return isObject(value) ? text(value.value) : text(value);
}

/** The addresses in a ContainerStatus's network_infos, in order, without repeats. */
export function ipsOf(containerStatus: unknown): string[] {
  if (!isObject(containerStatus) || !Array.isArray(containerStatus.network_infos)) return [];
  const ips = new Set<string>();
  for (const network of containerStatus.network_infos) {
    if (!isObject(network) || !Array.isArray(network.ip_addresses)) continue;
    for (const address of network.ip_addresses) {
      const ip = isObject(address) ? text(address.ip_address) : undefined;
      if (ip !== undefined) ips.add(ip);
    }
  }
  return [...ips];
}

/** Appends the addresses of `more` missing from `ips`. */
export function mergeIps(ips: string[], more: readonly string[]): string[] {
  return [...new Set([...ips, ...more])];
}
