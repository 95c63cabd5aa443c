/**
 * The parts of the Docker Engine API's JSON this provider reads, and guards that check a parsed
 * body has them. Only the fields used are declared; the guards accept anything else alongside.
 * Field names are Docker's own (PascalCase), so the types read like the API reference.
 */

/** GET /info (SystemInfo). */
export interface DockerInfo {
  /** The engine's id: a UUID since Engine 23, "XXXX:XXXX:..." before. */
  ID: string;
  /** The daemon's hostname. */
  Name: string;
  /** Swarm.Cluster is only filled in on swarm managers. */
  Swarm?: { Cluster?: { ID?: string } | null } | null;
}

/** One element of GET /containers/json (ContainerSummary). */
export interface DockerContainerSummary {
  Id: string;
  /** created, restarting, running, removing, paused, exited or dead. */
  State: string;
}

/** GET /containers/{id}/json: State (ContainerState). */
export interface DockerContainerState {
  Status: string;
  OOMKilled?: boolean;
  ExitCode?: number;
  Error?: string;
  /** RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when never started. */
  StartedAt?: string;
  FinishedAt?: string;
}

/** GET /containers/{id}/json: one of NetworkSettings.Networks (EndpointSettings). */
export interface DockerNetworkEndpoint {
  IPAddress?: string;
  GlobalIPv6Address?: string;
}

/** GET /containers/{id}/json (ContainerInspectResponse). */
export interface DockerContainerInspect {
  Id: string;
  /** The name with a leading "/". */
  Name: string;
  /** When the container was created, RFC 3339. */
  Created?: string;
  State: DockerContainerState;
  Config?: { Image?: string; Labels?: Record<string, string> | null } | null;
  NetworkSettings?: { Networks?: Record<string, DockerNetworkEndpoint | null> | null } | null;
}

/** One line of GET /events (EventMessage). */
export interface DockerEvent {
  /** "container", "image", ...; absent from engines older than API 1.22. */
  Type?: string;
  Action: string;
  /** Attributes of a container event: its labels plus name, image and (die) exitCode. */
  Actor: { ID: string; Attributes?: Record<string, string> | null };
  /** Seconds since the epoch. */
  time?: number;
  /** Nanoseconds since the epoch. */
  timeNano?: number;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent (undefined) or of the given typeof. */
function optional(value: unknown, type: 'string' | 'number' | 'boolean'): boolean {
  return value === undefined || typeof value === type;
}

/** Absent, null, or an object accepted by check. */
function optionalObject(value: unknown, check: (object: JsonObject) => boolean): boolean {
  return value === undefined || value === null || (isObject(value) && check(value));
}

function isStringMap(value: JsonObject): boolean {
  return Object.values(value).every((entry) => typeof entry === 'string');
}

export function isDockerInfo(value: unknown): value is DockerInfo {
  return (
    isObject(value) &&
    typeof value.ID === 'string' &&
    typeof value.Name === 'string' &&
    optionalObject(value.Swarm, (swarm) =>
      optionalObject(swarm.Cluster, (cluster) => optional(cluster.ID, 'string')),
    )
  );
}

export function isContainerSummary(value: unknown): value is DockerContainerSummary {
  return isObject(value) && typeof value.Id === 'string' && typeof value.State === 'string';
}

function isContainerState(value: unknown): value is DockerContainerState {
  return (
    isObject(value) &&
    typeof value.Status === 'string' &&
    optional(value.OOMKilled, 'boolean') &&
    optional(value.ExitCode, 'number') &&
    optional(value.Error, 'string') &&
    optional(value.StartedAt, 'string') &&
    optional(value.FinishedAt, 'string')
  );
}

function isNetworks(networks: JsonObject): boolean {
  return Object.values(networks).every((endpoint) =>
    optionalObject(
      endpoint,
      (settings) => optional(settings.IPAddress, 'string') && optional(settings.GlobalIPv6Address, 'string'),
    ),
  );
}

export function isContainerInspect(value: unknown): value is DockerContainerInspect {
  return (
    isObject(value) &&
    typeof value.Id === 'string' &&
    typeof value.Name === 'string' &&
    optional(value.Created, 'string') &&
    isContainerState(value.State) &&
    optionalObject(
      value.Config,
      (config) => optional(config.Image, 'string') && optionalObject(config.Labels, isStringMap),
    ) &&
    optionalObject(value.NetworkSettings, (settings) => optionalObject(settings.Networks, isNetworks))
  );
}

export function isDockerEvent(value: unknown): value is DockerEvent {
  return (
    isObject(value) &&
    optional(value.Type, 'string') &&
    typeof value.Action === 'string' &&
    isObject(value.Actor) &&
    typeof value.Actor.ID === 'string' &&
    optionalObject(value.Actor.Attributes, isStringMap) &&
    optional(value.time, 'number') &&
    optional(value.timeNano, 'number')
  );
}
