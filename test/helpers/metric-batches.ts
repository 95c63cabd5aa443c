/** Metric batches made up by tests and put straight onto a topic, as an agent would have. */
import { Kafka, logLevel, type Message, type RecordMetadata } from 'kafkajs';
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions } from '../../lib/model/dimensions.js';
import type { MetricBatch } from '../../lib/wire/datapoint-codec.js';
import { singleObjectMetricBatchWriter } from '../../lib/wire/single-object.js';

const writer = singleObjectMetricBatchWriter();

/**
 * Batch `n` of a made-up agent: `points` counters `test.points` with values 1..points, one
 * per distinct `seq` tag, stamped `timeMs`; its container is `container-<n % containers>`.
 */
export function testBatch(n: number, points: number, timeMs: number, containers = 4): MetricBatch {
  const containerId = `container-${n % containers}`;
  const dimensions: Readonly<Dimensions> = Object.freeze({
    hostname: 'node-1',
    container_id: containerId,
    task_name: `task-${n % containers}`,
  });
  const datapoints: Datapoint[] = [];
  for (let i = 0; i < points; i++) {
    datapoints.push({
      name: 'test.points',
      kind: 'counter',
      value: i + 1,
      unit: '',
      timeMs,
      tags: { batch: String(n), seq: String(i) },
      containerId,
      rate: (i + 1) / 10,
      dimensions,
    });
  }
  return {
    agentId: 'agent-1',
    hostname: 'node-1',
    sentMs: timeMs,
    batchId: `run-1-${n}`,
    dimensions,
    datapoints,
  };
}

/** The batch as a Kafka message: single-object encoded, keyed by its container. */
export function batchMessage(batch: MetricBatch): Message {
  return { key: batch.dimensions?.container_id ?? batch.hostname, value: writer.encode(batch) };
}

/** A plain producer (the mock broker cannot start kafkajs's idempotent one without a transaction). */
export async function rawProducer(brokers: readonly string[]) {
  const producer = new Kafka({
    clientId: 'corral-test-producer',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).producer({
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    /** Resolves with where the messages went (per partition, the base offset of this send). */
    send: (topic: string, messages: Message[]): Promise<RecordMetadata[]> =>
      producer.send({ topic, messages, acks: -1 }),
    disconnect: () => producer.disconnect(),
  };
}
