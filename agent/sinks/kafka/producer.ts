import { Kafka } from 'kafkajs';
import { type KafkaClientSettings, kafkaConfig } from '../../../lib/kafka/client-config.js';
import {
  compressionType,
  type KafkaCompression,
  registerKafkaCodecs,
} from '../../../lib/kafka/compression.js';
import { LazyProducer } from '../../../lib/kafka/lazy-producer.js';
import { recordBytes, requestRuns } from '../../../lib/kafka/request-runs.js';

/** One Kafka message of a batch the sink hands over. */
export interface OutgoingRecord {
  topic: string;
  /** Partition key: a container's data stays in one partition, in order. */
  key: Buffer | null;
  value: Buffer;
  timeMs: number;
}

export interface ProducerSettings extends KafkaClientSettings {
  /**
   * The producer's transactional id: kafkajs sends transactions idempotently (producer id,
   * epoch, sequence numbers), and a restarted agent with the same id fences its old self.
   */
  transactionalId: string;
  /** lz4, snappy and zstd through codecs registered into kafkajs (lib/kafka/compression.ts). */
  compression: KafkaCompression;
  /** Most record bytes (keys and values, uncompressed) per produce request: kafka.maxRequestBytes. */
  maxRequestBytes: number;
}

/**
 * The agent's producer: acks from all in-sync replicas, one request in flight per broker (so a
 * retried batch can't overtake the next), every send one transaction.
 */
export class AgentProducer {
  private readonly producer: LazyProducer;

  constructor(private readonly settings: ProducerSettings) {
    registerKafkaCodecs();
    const kafka = new Kafka(kafkaConfig(settings));
    this.producer = new LazyProducer(() =>
      kafka.producer({
        transactionalId: settings.transactionalId,
        // A transaction left open by a killed agent blocks its successor until it times out
        // (a broker that cannot abort it on fencing); a batch's transaction takes well under this.
        transactionTimeout: Math.max(5000, 2 * settings.requestTimeoutMs),
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      }),
    );
  }

  /** Sends the records as one transaction; throws when Kafka did not take them all. */
  async send(records: readonly OutgoingRecord[]): Promise<void> {
    // A producer that failed mid-transaction is replaced; the next re-inits the transactional id.
    await this.producer.run(async (producer) => {
      const transaction = await producer.transaction();
      try {
        // One request at a time (maxInFlightRequests 1), so the records stay in order.
        for (const run of requestRuns(records, this.settings.maxRequestBytes, recordBytes)) {
          await transaction.sendBatch({
            acks: -1,
            timeout: this.settings.requestTimeoutMs,
            compression: compressionType(this.settings.compression),
            topicMessages: topicMessages(run),
          });
        }
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** kafkajs's per-topic message lists for one request. */
function topicMessages(records: readonly OutgoingRecord[]) {
  const byTopic = new Map<string, { key: Buffer | null; value: Buffer | null; timestamp: string }[]>();
  for (const r of records) {
    let messages = byTopic.get(r.topic);
    if (messages === undefined) {
      messages = [];
      byTopic.set(r.topic, messages);
    }
    // An empty value is a tombstone (avro-encoder.ts): Kafka's null value.
    messages.push({
      key: r.key,
      value: r.value.length === 0 ? null : r.value,
      timestamp: String(r.timeMs),
    });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
