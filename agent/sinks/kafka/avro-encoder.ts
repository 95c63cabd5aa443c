import { randomUUID } from 'node:crypto';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { TaskEvent } from '../../../lib/model/dimensions.js';
import { groupByDimensions, taskEventToRecord } from '../../../lib/wire/datapoint-codec.js';
import type { MetricBatchWriter } from '../../../lib/wire/metric-batch-writer.js';
import {
  type SingleObjectEncoder,
  singleObjectCodec,
  singleObjectMetricBatchWriter,
} from '../../../lib/wire/single-object.js';
import type { RecordEncoder } from './kafka-sink.js';
import type { OutgoingRecord } from './producer.js';

export interface AvroEncoderOptions {
  topicPrefix: string;
  /** The sender, in every batch. */
  agentId: string;
  hostname: string;
}

/**
 * Avro single-object messages: one MetricBatch per container (its datapoints share one
 * dimensions record) and one for the node's own datapoints, keyed by container id (the node's
 * by hostname) so each container's data stays in one partition, in order. Task events go to
 * the events topic keyed the same way.
 */
export class AvroRecordEncoder implements RecordEncoder {
  private readonly writer: MetricBatchWriter = singleObjectMetricBatchWriter();
  private readonly taskEvents: SingleObjectEncoder<'TaskEvent'> = singleObjectCodec('TaskEvent').encoder;
  /** Batch ids: unique per agent run, then a sequence; the collector deduplicates on them. */
  private readonly run = randomUUID();
  private sequence = 0;
  private readonly metricsTopic: string;
  private readonly eventsTopic: string;

  constructor(private readonly options: AvroEncoderOptions) {
    this.metricsTopic = `${options.topicPrefix}metrics`;
    this.eventsTopic = `${options.topicPrefix}events`;
  }

  metrics(batch: readonly Datapoint[]): OutgoingRecord[] {
    const now = Date.now();
    return groupByDimensions(batch).map((group) => {
      const key = group.dimensions?.container_id ?? group.datapoints[0]?.containerId ?? this.options.hostname;
      const value = this.writer.encode({
        agentId: this.options.agentId,
        hostname: this.options.hostname,
        sentMs: now,
        batchId: `${this.run}-${this.sequence++}`,
        dimensions: group.dimensions,
        datapoints: group.datapoints,
      });
      return { topic: this.metricsTopic, key: Buffer.from(key), value, timeMs: now };
    });
  }

  events(events: readonly TaskEvent[]): OutgoingRecord[] {
    return events.map((event) => ({
      topic: this.eventsTopic,
      key: Buffer.from(event.dimensions.container_id ?? event.dimensions.task_id ?? this.options.hostname),
      value: this.taskEvents.encode(taskEventToRecord(event)),
      timeMs: event.timeMs,
    }));
  }
}
