import {
  ConfluentEncoder,
  confluentMetricBatchWriter,
  type SchemaRegistryClient,
} from '../../../lib/wire/confluent.js';
import type { MetricBatchWriter } from '../../../lib/wire/metric-batch-writer.js';
import type { MetadataUpdateRecord, TaskEventRecord } from '../../../lib/wire/records.js';
import { schemaCatalog } from '../../../lib/wire/schemas.js';
import { singleObjectCodec, singleObjectMetricBatchWriter } from '../../../lib/wire/single-object.js';

/** The encoders of the three messages, in one wire format. */
export interface WireWriters {
  format: 'single-object' | 'confluent';
  metricBatch: MetricBatchWriter;
  taskEvent: { encode(record: TaskEventRecord): Buffer };
  metadataUpdate: { encode(record: MetadataUpdateRecord): Buffer };
}

/** Avro single-object encoding: each message names its schema by fingerprint, no registry needed. */
export function singleObjectWriters(): WireWriters {
  return {
    format: 'single-object',
    metricBatch: singleObjectMetricBatchWriter(),
    taskEvent: singleObjectCodec('TaskEvent').encoder,
    metadataUpdate: singleObjectCodec('MetadataUpdate').encoder,
  };
}

/**
 * The Confluent wire format: the current schemas registered under `<topic>-value` for the
 * three topics, so ClickHouse's AvroConfluent format and other registry-aware tools read them.
 */
export async function confluentWriters(
  registry: SchemaRegistryClient,
  topicPrefix: string,
): Promise<WireWriters> {
  const catalog = schemaCatalog();
  const [metrics, events, metadata] = await Promise.all([
    ConfluentEncoder.create(registry, `${topicPrefix}metrics`, catalog.currentSchema('MetricBatch')),
    ConfluentEncoder.create(registry, `${topicPrefix}events`, catalog.currentSchema('TaskEvent')),
    ConfluentEncoder.create(registry, `${topicPrefix}metadata`, catalog.currentSchema('MetadataUpdate')),
  ]);
  return {
    format: 'confluent',
    metricBatch: confluentMetricBatchWriter(metrics),
    taskEvent: events,
    metadataUpdate: metadata,
  };
}
