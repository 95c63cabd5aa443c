import type { Dimensions, TaskStateName } from '../../lib/model/dimensions.js';

/** What a provider knows of one container. */
export interface ContainerMetadata {
  /** The id as it appears in the container's cgroup path (Docker/CRI: 64 hex; Mesos: a UUID). */
  containerId: string;
  /** Everything but the node's dimensions; labels unfiltered (the service filters them). */
  dimensions: Dimensions;
  /** The container's IP addresses, for attributing StatsD lines on the shared port. */
  ips: string[];
}

/** A task as last seen, for lifecycle events; the tracker emits one event per change. */
export interface TaskObservation {
  /**
   * What identifies the task across polls and agent restarts: Mesos task id, Docker container
   * id, Kubernetes pod uid + container name + restart count.
   */
  key: string;
  state: TaskStateName;
  /** When the task entered the state, ms since the epoch; undefined: when it was seen. */
  sinceMs?: number;
  reason?: string;
  exitCode?: number;
  /** Dimensions of the task (container_id when it has one); labels unfiltered. */
  dimensions: Dimensions;
}

/** One full read of the orchestrator's view of this node. */
export interface MetadataSnapshot {
  /** cluster_id, agent_id, hostname: what every datapoint of the node carries. */
  node: Dimensions;
  containers: ContainerMetadata[];
  /** Every task the provider can see now, finished ones included while it still lists them. */
  tasks: TaskObservation[];
}

/** Why a read failed; counted as corral_metadata_errors_total{provider,reason}. */
export type MetadataErrorReason =
  | 'connect' // refused, reset, no such socket or host
  | 'timeout'
  | 'auth' // 401 or 403
  | 'http_status' // any other non-2xx status
  | 'malformed' // not JSON, or JSON of the wrong shape
  | 'too_large'; // the body passed the size cap

export class MetadataError extends Error {
  constructor(
    readonly reason: MetadataErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MetadataError';
  }
}

/** Callbacks of a provider's event stream (Docker events). */
export interface ProviderEventHandlers {
  /** A task state seen on the stream (a die with its exit code, an oom). */
  observe(task: TaskObservation): void;
  /** Something changed: refresh soon (a container started). */
  changed(): void;
  /** The stream failed; the provider reconnects by itself with backoff. */
  error(error: MetadataError): void;
}

export interface MetadataProvider {
  readonly name: 'mesos' | 'docker' | 'kubernetes' | 'none';
  /**
   * Reads the orchestrator's current view. Throws MetadataError on any failure; never
   * returns partial data silently: a container or task it cannot map is left out and
   * counted through onSkipped.
   */
  fetch(signal: AbortSignal): Promise<MetadataSnapshot>;
  /** Optional event stream; returns a function that stops it. */
  watch?(handlers: ProviderEventHandlers): () => void;
}

/** Items a provider left out of a snapshot (a task without a container id), by reason. */
export type SkipCounter = (reason: string) => void;
