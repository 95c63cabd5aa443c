import type { Endpoint, RequestSettings } from '../../http-json.js';
import type { MetadataProvider, MetadataSnapshot } from '../../provider.js';
import { fetchAgentDocuments } from './client.js';
import { mapAgentState } from './state-mapping.js';

export interface MesosProviderOptions {
  /** The agent's HTTP API, e.g. { url: 'http://127.0.0.1:5051' }. */
  endpoint: Endpoint;
  settings: RequestSettings;
  /** Added to the node's dimensions; Mesos agents do not know their cluster's name. */
  clusterId?: string;
  /** Called once per item left out of a snapshot, with a short reason (README.md lists them). */
  onSkipped?: (reason: string) => void;
}

/** Metadata from a Mesos agent's GET /state and GET /containers (README.md has the mapping). */
export function createMesosProvider(options: MesosProviderOptions): MetadataProvider {
  const onSkipped = options.onSkipped ?? (() => {});
  return {
    name: 'mesos',
    async fetch(signal: AbortSignal): Promise<MetadataSnapshot> {
      const documents = await fetchAgentDocuments(options.endpoint, options.settings, signal);
      let containersBody: unknown;
      if ('body' in documents.containers) containersBody = documents.containers.body;
      // Task statuses still name most containers; executors' own containers are missed this poll.
      else onSkipped('containers_unavailable');
      return mapAgentState(documents.state, containersBody, { clusterId: options.clusterId, onSkipped });
    },
  };
}

export { mapAgentState, type StateMappingOptions } from './state-mapping.js';
export { taskStateOf } from './task-states.js';
