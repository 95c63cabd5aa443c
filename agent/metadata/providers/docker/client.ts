/**
 * The three Docker Engine API reads a snapshot needs, each checked for the shape the mapping
 * relies on. Paths are unversioned: the daemon answers with its own API version, and every field
 * read here has been stable since API 1.24.
 */

import { type Endpoint, getJson, type RequestSettings } from '../../http-json.js';
import { MetadataError, type SkipCounter } from '../../provider.js';
import {
  type DockerContainerInspect,
  type DockerContainerSummary,
  type DockerInfo,
  isContainerInspect,
  isContainerSummary,
  isDockerInfo,
} from './api.js';

/** all=1: stopped containers too, so their final state becomes a task event. */
export const LIST_PATH = '/containers/json?all=1';
export const INFO_PATH = '/info';

export function inspectPath(id: string): string {
  return `/containers/${encodeURIComponent(id)}/json`;
}

/**
 * The HTTP status of a failed request. MetadataError has no status field, so this reads the one
 * http-json puts at the end of its message ("... answered 404"); a `status` property wins if the
 * contract gains one.
 */
function httpStatusOf(error: MetadataError): number | undefined {
  if ('status' in error && typeof error.status === 'number') return error.status;
  const match = / answered (\d{3})$/.exec(error.message);
  return match === null ? undefined : Number(match[1]);
}

function isNotFound(error: unknown): boolean {
  return error instanceof MetadataError && error.reason === 'http_status' && httpStatusOf(error) === 404;
}

export class DockerClient {
  constructor(
    private readonly endpoint: Endpoint,
    private readonly settings: RequestSettings,
    private readonly onSkipped?: SkipCounter,
  ) {}

  async info(signal?: AbortSignal): Promise<DockerInfo> {
    const body = await getJson(this.endpoint, INFO_PATH, this.settings, signal);
    if (!isDockerInfo(body)) throw new MetadataError('malformed', `${INFO_PATH}: no ID and Name strings`);
    return body;
  }

  /** Every container, running or not; an element without Id and State is skipped and counted. */
  async listContainers(signal?: AbortSignal): Promise<DockerContainerSummary[]> {
    const body = await getJson(this.endpoint, LIST_PATH, this.settings, signal);
    if (!Array.isArray(body)) throw new MetadataError('malformed', `${LIST_PATH}: not an array`);
    return body.filter((entry: unknown): entry is DockerContainerSummary => {
      if (isContainerSummary(entry)) return true;
      this.onSkipped?.('malformed_container');
      return false;
    });
  }

  /**
   * The container's inspect document; undefined when it is gone (removed since it was listed) or
   * (counted as malformed_container) when the document lacks what the mapping needs.
   */
  async inspectContainer(id: string, signal?: AbortSignal): Promise<DockerContainerInspect | undefined> {
    let body: unknown;
    try {
      body = await getJson(this.endpoint, inspectPath(id), this.settings, signal);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (isContainerInspect(body)) return body;
    this.onSkipped?.('malformed_container');
    return undefined;
  }
}
