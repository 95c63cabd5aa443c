import { Kafka, logLevel } from 'kafkajs';
import { registerKafkaCodecs } from '../../lib/kafka/compression.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { metricBatchFromRecord } from '../../lib/wire/datapoint-codec.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';

const decoder = singleObjectCodec('MetricBatch').decoder;

/** One MetricBatch message as consumed, in the order it arrived (per partition: offset order). */
export interface ReceivedBatch {
  key: string;
  partition: number;
  offset: number;
  batchId: string;
  sentMs: number;
  datapoints: Datapoint[];
}

export interface MetricsConsumer {
  /** Every batch so far. */
  readonly received: ReceivedBatch[];
  /** Sum of the values of every datapoint named `name` so far. */
  total(name: string): number;
  disconnect(): Promise<void>;
}

/**
 * A kafkajs consumer in a fresh group reading `topic` from the beginning and decoding every
 * message as an Avro single-object MetricBatch.
 *
 * It reads uncommitted: librdkafka's mock broker writes no transaction markers, so a
 * transaction a killed agent left open would hold a read_committed consumer until the mock
 * times it out. Against the mock, the first join of a group takes about 3 s, and a consumer
 * that sat through a long broker outage backs off for up to ~30 s: start a fresh one after
 * the broker is back.
 */
export async function consumeMetrics(
  brokers: string[],
  topic: string,
  groupId: string,
): Promise<MetricsConsumer> {
  // The agent compresses with lz4 by default, which kafkajs reads only with our codec.
  registerKafkaCodecs();
  const kafka = new Kafka({ clientId: 'corral-test', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted: true });
  const received: ReceivedBatch[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const batch = metricBatchFromRecord(decoder.decode(message.value!));
      received.push({
        key: message.key?.toString() ?? '',
        partition,
        offset: Number(message.offset),
        batchId: batch.batchId,
        sentMs: batch.sentMs,
        datapoints: batch.datapoints,
      });
    },
  });
  return {
    received,
    total: (name) =>
      received
        .flatMap((r) => r.datapoints)
        .filter((p) => p.name === name)
        .reduce((sum, p) => sum + p.value, 0),
    disconnect: () => consumer.disconnect(),
  };
}
