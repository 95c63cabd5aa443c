import { randomUUID } from 'node:crypto';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Dimensions, MetadataUpdate, TaskEvent } from '../../../lib/model/dimensions.js';
import {
  groupByDimensions,
  metadataUpdateToRecord,
  taskEventToRecord,
} from '../../../lib/wire/datapoint-codec.js';
import type { MetricBatchWriter } from '../../../lib/wire/metric-batch-writer.js';
import type { MetadataUpdateRecord, TaskEventRecord } from '../../../lib/wire/records.js';
import type { PendingRecord, RecordEncoder } from '../shared/encoding-sink.js';
import type { OutgoingRecord } from './producer.js';
import type { WireWriters } from './wire-writers.js';

export interface AvroEncoderOptions {
  topicPrefix: string;
  /** The sender, in every batch. */
  agentId: string;
  hostname: string;
}

/**
 * A Kafka tombstone: no Avro message of either wire format is empty, so an empty value in
 * the spool means "null value" to the producer (compaction then forgets the key).
 */
export const TOMBSTONE: Buffer = Buffer.alloc(0);

/**
 * Datapoints per MetricBatch message at most: about 200 KB of Avro at a typical 200 bytes
 * each, well under Kafka's default 1 MB message.max.bytes even uncompressed.
 */
export const MAX_DATAPOINTS_PER_MESSAGE = 1000;

/**
 * Encoded bytes past which a MetricBatch is split in two and encoded again. Kafka refuses a
 * record batch (compressed) beyond the topic's max.message.bytes, 1 MB by default, and one
 * refused record would hold up the spool behind it; long tags can make 1,000 datapoints
 * several MB where they are usually about 100 KB.
 */
export const MAX_MESSAGE_BYTES = 512 * 1024;

/**
 * Avro messages: MetricBatches per container (its datapoints share one dimensions record)
 * and for the node's own datapoints, keyed by container id (the node's by hostname) so
 * each container's data stays in one partition, in order. Task events go to the events topic
 * keyed the same way; metadata updates to the compacted metadata topic keyed by container id.
 */
export class AvroRecordEncoder implements RecordEncoder {
  private readonly writer: MetricBatchWriter;
  private readonly taskEvents: { encode(record: TaskEventRecord): Buffer };
  private readonly metadataUpdates: { encode(record: MetadataUpdateRecord): Buffer };
  /** Batch ids: unique per agent run, then a sequence; the collector deduplicates on them. */
  private readonly run = randomUUID();
  private sequence = 0;
  private readonly metricsTopic: string;
  private readonly eventsTopic: string;
  private readonly metadataTopic: string;

  constructor(
    private readonly options: AvroEncoderOptions,
    writers: WireWriters,
  ) {
    this.writer = writers.metricBatch;
    this.taskEvents = writers.taskEvent;
    this.metadataUpdates = writers.metadataUpdate;
    this.metricsTopic = `${options.topicPrefix}metrics`;
    this.eventsTopic = `${options.topicPrefix}events`;
    this.metadataTopic = `${options.topicPrefix}metadata`;
  }

  /**
   * A MetricBatch per container (per dimensions), split every MAX_DATAPOINTS_PER_MESSAGE
   * datapoints, and in halves while one is over MAX_MESSAGE_BYTES encoded, so that no message
   * nears Kafka's default 1 MB limit (message.max.bytes).
   */
  *metrics(batch: readonly Datapoint[]): Iterable<PendingRecord> {
    const now = Date.now();
    for (const group of groupByDimensions(batch)) {
      const key = Buffer.from(
        group.dimensions?.container_id ?? group.datapoints[0]?.containerId ?? this.options.hostname,
      );
      for (let from = 0; from < group.datapoints.length; from += MAX_DATAPOINTS_PER_MESSAGE) {
        const datapoints = group.datapoints.slice(from, from + MAX_DATAPOINTS_PER_MESSAGE);
        yield () => this.metricBatches(key, group.dimensions, datapoints, now);
      }
    }
  }

  /** One message of the datapoints, or, past MAX_MESSAGE_BYTES, those of each half in turn. */
  private metricBatches(
    key: Buffer,
    dimensions: Readonly<Dimensions> | undefined,
    datapoints: readonly Datapoint[],
    now: number,
  ): OutgoingRecord[] {
    const value = this.writer.encode({
      agentId: this.options.agentId,
      hostname: this.options.hostname,
      sentMs: now,
      batchId: `${this.run}-${this.sequence++}`,
      dimensions,
      datapoints,
    });
    if (value.length <= MAX_MESSAGE_BYTES || datapoints.length === 1)
      return [{ topic: this.metricsTopic, key, value, timeMs: now }];
    const half = Math.ceil(datapoints.length / 2);
    return [
      ...this.metricBatches(key, dimensions, datapoints.slice(0, half), now),
      ...this.metricBatches(key, dimensions, datapoints.slice(half), now),
    ];
  }

  events(events: readonly TaskEvent[]): OutgoingRecord[] {
    return events.map((event) => ({
      topic: this.eventsTopic,
      key: Buffer.from(event.dimensions.container_id ?? event.dimensions.task_id ?? this.options.hostname),
      value: this.taskEvents.encode(taskEventToRecord(event)),
      timeMs: event.timeMs,
    }));
  }

  metadata(updates: readonly MetadataUpdate[]): OutgoingRecord[] {
    const records: OutgoingRecord[] = [];
    for (const update of updates) {
      const key = Buffer.from(update.containerId);
      const value = this.metadataUpdates.encode(metadataUpdateToRecord(update));
      records.push({ topic: this.metadataTopic, key, value, timeMs: update.updatedMs });
      // Readers learn of the removal first; compaction then drops the key altogether.
      if (update.removed)
        records.push({ topic: this.metadataTopic, key, value: TOMBSTONE, timeMs: update.updatedMs });
    }
    return records;
  }
}
