import { type Endpoint, getJson, type RequestSettings } from '../../http-json.js';
import { MetadataError } from '../../provider.js';

/** The agent's answers to one poll; /containers is optional to the snapshot, /state is not. */
export interface AgentDocuments {
  state: unknown;
  containers: { body: unknown } | { error: MetadataError };
}

/**
 * The request path of an agent endpoint: under the URL's own path, so that an agent reached
 * through a proxy prefix (http://leader.mesos/agent/<id>) is asked for /agent/<id>/state.
 */
export function agentPath(endpoint: Endpoint, path: string): string {
  if ('socketPath' in endpoint) return path;
  return `${new URL(endpoint.url).pathname.replace(/\/+$/, '')}${path}`;
}

/**
 * GETs the agent's /state and /containers concurrently. Throws the /state error (and cancels
 * /containers, so no request outlives the poll); a /containers failure is returned instead.
 */
export async function fetchAgentDocuments(
  endpoint: Endpoint,
  settings: RequestSettings,
  signal: AbortSignal,
): Promise<AgentDocuments> {
  const cancelContainers = new AbortController();
  const containers: Promise<AgentDocuments['containers']> = getJson(
    endpoint,
    agentPath(endpoint, '/containers'),
    settings,
    AbortSignal.any([signal, cancelContainers.signal]),
  ).then(
    (body) => ({ body }),
    (error: unknown) => ({
      error:
        error instanceof MetadataError
          ? error
          : new MetadataError('connect', `GET /containers failed: ${String(error)}`, { cause: error }),
    }),
  );
  let state: unknown;
  try {
    state = await getJson(endpoint, agentPath(endpoint, '/state'), settings, signal);
  } catch (error) {
    cancelContainers.abort();
    await containers;
    throw error;
  }
  return { state, containers: await containers };
}
