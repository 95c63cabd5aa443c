/**
 * Who a datapoint belongs to: the normalized dimensions every provider (Mesos, Docker,
 * Kubernetes, none) maps its own model onto, so a task's app metrics and its container's
 * resource metrics can be grouped and joined (docs/metadata.md has each provider's mapping).
 */
export interface Dimensions {
  cluster_id?: string;
  /** The node as the orchestrator knows it (Mesos agent id, Kubernetes node name). */
  agent_id?: string;
  hostname?: string;
  framework_id?: string;
  framework_name?: string;
  framework_role?: string;
  executor_id?: string;
  task_id?: string;
  task_name?: string;
  container_id?: string;
  /** Orchestrator labels after the configured filters (include/exclude, value length cap). */
  labels?: Record<string, string>;
}

/** The scalar dimensions, in the order they are documented and serialized. */
export const DIMENSION_KEYS = [
  'cluster_id',
  'agent_id',
  'hostname',
  'framework_id',
  'framework_name',
  'framework_role',
  'executor_id',
  'task_id',
  'task_name',
  'container_id',
] as const;

export type DimensionKey = (typeof DIMENSION_KEYS)[number];

/** A task's lifecycle states, the same for every provider. */
export const TASK_STATES = [
  'staging',
  'starting',
  'running',
  'finished',
  'failed',
  'killed',
  'lost',
  'oom_killed',
] as const;

export type TaskStateName = (typeof TASK_STATES)[number];

/** One task state transition, emitted once (task lifecycle events feed failure-rate alerts). */
export interface TaskEvent {
  /** Milliseconds since the epoch: when the task entered the state, or when it was seen in it. */
  timeMs: number;
  state: TaskStateName;
  /** The state before, when known ("" for a task first seen). */
  previousState: TaskStateName | '';
  /** The orchestrator's reason (REASON_CONTAINER_LIMITATION_MEMORY, OOMKilled, Error). */
  reason?: string;
  exitCode?: number;
  dimensions: Readonly<Dimensions>;
}

/** A container's dimensions as the agent last saw them (the compacted metadata topic). */
export interface MetadataUpdate {
  containerId: string;
  dimensions: Readonly<Dimensions>;
  updatedMs: number;
  /** The provider stopped listing the container. */
  removed: boolean;
}
