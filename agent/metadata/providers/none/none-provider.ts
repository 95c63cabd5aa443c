import type { DiscoveredContainer } from '../../../sources/cgroup/discovery.js';
import type { ContainerMetadata, MetadataProvider, MetadataSnapshot } from '../../provider.js';

export interface NoneProviderOptions {
  hostname: string;
  clusterId?: string;
  /** The containers the cgroup source found last (empty without the cgroup source). */
  containers: () => readonly DiscoveredContainer[];
}

/**
 * No orchestrator API: what the cgroup paths tell. The runtime names the framework, a
 * systemd unit's name is its task name, a Kubernetes pod uid or a Mesos parent container is
 * the executor. There are no task lifecycle events without an orchestrator to report exits.
 */
export function createNoneProvider(options: NoneProviderOptions): MetadataProvider {
  return {
    name: 'none',
    async fetch(): Promise<MetadataSnapshot> {
      const node = { hostname: options.hostname, agent_id: options.hostname };
      if (options.clusterId !== undefined) Object.assign(node, { cluster_id: options.clusterId });
      return { node, containers: options.containers().map(fromCgroup), tasks: [] };
    },
  };
}

function fromCgroup(container: DiscoveredContainer): ContainerMetadata {
  const dimensions: ContainerMetadata['dimensions'] = {
    framework_name: container.runtime,
    task_id: container.id,
    task_name:
      container.runtime === 'systemd' ? container.id.replace(/\.service$/, '') : container.id.slice(0, 12),
  };
  const executor = container.pod ?? container.parent;
  if (executor !== undefined) dimensions.executor_id = executor;
  return { containerId: container.id, dimensions, ips: [] };
}
