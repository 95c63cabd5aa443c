/**
 * The Docker provider: containers on this node from the Docker Engine API, over its unix socket
 * by default. README.md has the endpoints and the mapping.
 */

import type { Endpoint, RequestSettings } from '../../http-json.js';
import type { MetadataProvider, MetadataSnapshot, SkipCounter } from '../../provider.js';
import { DockerClient } from './client.js';
import { watchDockerEvents } from './event-stream.js';
import { InspectCache } from './inspect-cache.js';
import { snapshotOf } from './mapping.js';

export const DEFAULT_DOCKER_ENDPOINT: Endpoint = { socketPath: '/var/run/docker.sock' };
export const DEFAULT_RECONNECT_MS = { min: 500, max: 30_000 };

export interface DockerProviderOptions {
  /** Default: the unix socket /var/run/docker.sock. */
  endpoint?: Endpoint;
  settings: RequestSettings;
  /** Set as cluster_id; when absent, the swarm's cluster id (swarm managers only). */
  clusterId?: string;
  /** A container, task or event left out, by reason (malformed_container, unknown_state, malformed_event). */
  onSkipped?: SkipCounter;
  /** Waits before reopening the event stream, doubling from min to max. Default 500..30000. */
  reconnectMs?: { min: number; max: number };
}

export function createDockerProvider(options: DockerProviderOptions): MetadataProvider {
  const endpoint = options.endpoint ?? DEFAULT_DOCKER_ENDPOINT;
  const { settings, clusterId, onSkipped } = options;
  const client = new DockerClient(endpoint, settings, onSkipped);
  const inspects = new InspectCache((id, signal) => client.inspectContainer(id, signal));
  return {
    name: 'docker',

    async fetch(signal: AbortSignal): Promise<MetadataSnapshot> {
      const [info, listed] = await Promise.all([client.info(signal), client.listContainers(signal)]);
      const inspected = await inspects.refresh(listed, signal);
      return snapshotOf(info, inspected, { clusterId, onSkipped });
    },

    watch(handlers) {
      return watchDockerEvents(
        {
          endpoint,
          settings,
          reconnectMs: options.reconnectMs ?? DEFAULT_RECONNECT_MS,
          onSkipped,
          // A started, stopped or destroyed container's cached inspect is out of date.
          onContainerEvent: (id) => inspects.forget(id),
        },
        handlers,
      );
    },
  };
}
