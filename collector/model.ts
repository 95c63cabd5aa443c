/**
 * What the collector's stages hand each other: Kafka messages decoded into the model
 * (lib/model), each with where it came from, so an insert can name the offsets it covers.
 */
import type { Datapoint } from '../lib/model/datapoint.js';
import type { Dimensions, MetadataUpdate, TaskEvent } from '../lib/model/dimensions.js';

/** A message's place in Kafka. Offsets are strings, as kafkajs gives them (int64). */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** One consumed message, decoded. */
export type CollectorRecord =
  | {
      type: 'metrics';
      /** The sending agent and its batch id (unique per agent run and sequence). */
      agentId: string;
      batchId: string;
      /** Shared by every datapoint of the batch (absent for datapoints of no dimensions). */
      dimensions: Readonly<Dimensions> | undefined;
      datapoints: Datapoint[];
    }
  | { type: 'task_event'; event: TaskEvent }
  | { type: 'metadata'; update: MetadataUpdate }
  /** A null-value message on the metadata topic: the container is gone for good. */
  | { type: 'metadata_tombstone'; containerId: string };

/** Why a message could not be used; it goes to the dead-letter topic with this reason. */
export type PoisonReason =
  | 'empty'
  | 'bad_marker'
  | 'truncated'
  | 'unknown_fingerprint'
  | 'unknown_schema_id'
  | 'incompatible_schema'
  | 'undecodable'
  | 'invalid_value'
  | 'unknown_topic';
