/**
 * A consumed Kafka message -> a CollectorRecord, or the reason it is poison. The wire format
 * is chosen per message by its first byte, so topics holding both (an agent switched to a
 * schema registry, records spooled before the switch still in flight) read as one stream:
 * 0xC3 Avro single-object encoding, 0x00 the Confluent Schema Registry format.
 */

import type { Datapoint } from '../../../lib/model/datapoint.js';
import {
  CONFLUENT_MAGIC_BYTE,
  ConfluentDecoder,
  type SchemaRegistryClient,
} from '../../../lib/wire/confluent.js';
import {
  type MetricBatch,
  metadataUpdateFromRecord,
  metricBatchFromRecord,
  taskEventFromRecord,
} from '../../../lib/wire/datapoint-codec.js';
import { WireError, type WireErrorReason } from '../../../lib/wire/errors.js';
import { READ_FOR, readMetricBatch } from '../../../lib/wire/metric-batch-reader.js';
import type { WireRecords } from '../../../lib/wire/records.js';
import { type MessageName, schemaCatalog } from '../../../lib/wire/schemas.js';
import {
  SINGLE_OBJECT_HEADER_LENGTH,
  SINGLE_OBJECT_MARKER,
  type SingleObjectDecoder,
  singleObjectCodec,
  singleObjectHeader,
} from '../../../lib/wire/single-object.js';
import type { CollectorRecord, PoisonReason } from '../../model.js';
import { type CollectorTopics, type TopicKind, topicKind } from './topics.js';
import { invalidValue } from './validate.js';

/** The parts of a Kafka message decoding looks at. */
export interface IncomingMessage {
  topic: string;
  key: Buffer | null;
  /** null: a tombstone (meaningful on the compacted metadata topic only). */
  value: Buffer | null;
}

export type Decoded =
  | { ok: true; record: CollectorRecord }
  | { ok: false; reason: PoisonReason; detail: string };

/**
 * The schema registry could not be asked: nothing is wrong with the message, so it is not
 * poison; the consumer retries it.
 */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

const MESSAGE_OF_TOPIC: Record<TopicKind, MessageName> = {
  metrics: 'MetricBatch',
  events: 'TaskEvent',
  metadata: 'MetadataUpdate',
};

const POISON_OF_WIRE_ERROR: Record<Exclude<WireErrorReason, 'registry_unavailable'>, PoisonReason> = {
  bad_marker: 'bad_marker',
  unknown_fingerprint: 'unknown_fingerprint',
  unknown_schema_id: 'unknown_schema_id',
  incompatible_schema: 'incompatible_schema',
  truncated: 'truncated',
  invalid_datum: 'undecodable',
};

function poison(reason: PoisonReason, detail: string): Decoded {
  return { ok: false, reason, detail };
}

type Decoders = { [N in MessageName]: (bytes: Buffer) => WireRecords[N] | Promise<WireRecords[N]> };

export interface MessageDecoderOptions {
  topics: CollectorTopics;
  /** The Confluent Schema Registry (kafka.schemaRegistryUrl); without it such messages are poison. */
  registry?: SchemaRegistryClient;
}

export class MessageDecoder {
  private readonly topics: CollectorTopics;
  private readonly singleObject: { [N in MessageName]: SingleObjectDecoder<N> };
  private readonly confluent: Decoders | undefined;
  /**
   * C3 01 and the current MetricBatch fingerprint, when the hand-written reader decodes that
   * schema (metric-batch-reader.ts): messages starting with it skip avsc and the records.
   */
  private readonly currentMetricBatchHeader: Buffer | undefined;

  constructor(options: MessageDecoderOptions) {
    this.topics = options.topics;
    const current = schemaCatalog().currentSchema('MetricBatch');
    this.currentMetricBatchHeader =
      current.fingerprint === READ_FOR ? singleObjectHeader(current) : undefined;
    this.singleObject = {
      MetricBatch: singleObjectCodec('MetricBatch').decoder,
      TaskEvent: singleObjectCodec('TaskEvent').decoder,
      MetadataUpdate: singleObjectCodec('MetadataUpdate').decoder,
    };
    const registry = options.registry;
    if (registry !== undefined) {
      const catalog = schemaCatalog();
      const metrics = new ConfluentDecoder(registry, catalog.currentSchema('MetricBatch'));
      const events = new ConfluentDecoder(registry, catalog.currentSchema('TaskEvent'));
      const metadata = new ConfluentDecoder(registry, catalog.currentSchema('MetadataUpdate'));
      this.confluent = {
        MetricBatch: (bytes) => metrics.decode(bytes),
        TaskEvent: (bytes) => events.decode(bytes),
        MetadataUpdate: (bytes) => metadata.decode(bytes),
      };
    }
  }

  /** The message's record or poison reason; throws RegistryUnavailableError when it must be retried. */
  async decode(message: IncomingMessage): Promise<Decoded> {
    const kind = topicKind(this.topics, message.topic);
    if (kind === undefined) return poison('unknown_topic', `the collector does not read ${message.topic}`);
    const { value } = message;
    if (value === null) {
      if (kind !== 'metadata') return poison('empty', 'null value');
      const containerId = message.key?.toString('utf8') ?? '';
      return this.checked({ type: 'metadata_tombstone', containerId });
    }
    if (value.length === 0) return poison('empty', 'empty value');
    let record: CollectorRecord;
    try {
      record =
        kind === 'metrics' && this.isCurrentMetricBatch(value)
          ? metricsRecord(readMetricBatch(value, SINGLE_OBJECT_HEADER_LENGTH))
          : toRecord(kind, await this.datum(MESSAGE_OF_TOPIC[kind], value));
    } catch (error) {
      if (!(error instanceof WireError)) return poison('undecodable', (error as Error).message);
      if (error.reason === 'registry_unavailable')
        throw new RegistryUnavailableError(error.message, { cause: error });
      return poison(POISON_OF_WIRE_ERROR[error.reason], error.message);
    }
    return this.checked(record);
  }

  private checked(record: CollectorRecord): Decoded {
    const problem = invalidValue(record);
    return problem === undefined ? { ok: true, record } : poison('invalid_value', problem);
  }

  /** Written with the current schema, which needs no resolution: the hand-written reader's. */
  private isCurrentMetricBatch(value: Buffer): boolean {
    const header = this.currentMetricBatchHeader;
    return (
      header !== undefined &&
      value.length >= header.length &&
      value.compare(header, 0, header.length, 0, header.length) === 0
    );
  }

  private async datum<N extends MessageName>(name: N, value: Buffer): Promise<WireRecords[N]> {
    if (value[0] === SINGLE_OBJECT_MARKER[0])
      return (this.singleObject[name] as SingleObjectDecoder<N>).decode(value);
    if (value[0] === CONFLUENT_MAGIC_BYTE) {
      if (this.confluent === undefined) {
        throw new WireError(
          'unknown_schema_id',
          `${name}: a Confluent-framed message, and no schema registry is configured (kafka.schemaRegistryUrl)`,
        );
      }
      return (this.confluent[name] as Decoders[N])(value);
    }
    throw new WireError(
      'bad_marker',
      `${name}: first byte 0x${value[0]!.toString(16).padStart(2, '0')} is no known wire format`,
    );
  }
}

function metricsRecord(batch: MetricBatch & { datapoints: Datapoint[] }): CollectorRecord {
  return {
    type: 'metrics',
    agentId: batch.agentId,
    batchId: batch.batchId,
    dimensions: batch.dimensions,
    datapoints: batch.datapoints,
  };
}

function toRecord(kind: TopicKind, datum: WireRecords[MessageName]): CollectorRecord {
  switch (kind) {
    case 'metrics':
      return metricsRecord(metricBatchFromRecord(datum as WireRecords['MetricBatch']));
    case 'events':
      return { type: 'task_event', event: taskEventFromRecord(datum as WireRecords['TaskEvent']) };
    case 'metadata':
      return { type: 'metadata', update: metadataUpdateFromRecord(datum as WireRecords['MetadataUpdate']) };
  }
}
