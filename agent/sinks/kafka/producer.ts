import { readFileSync } from 'node:fs';
import { Kafka, type KafkaConfig, logLevel, type Producer, type SASLOptions } from 'kafkajs';
import { ConfigError } from '../../../lib/config/errors.js';
import {
  compressionType,
  type KafkaCompression,
  registerKafkaCodecs,
} from '../../../lib/kafka/compression.js';

/** One Kafka message of a batch the sink hands over. */
export interface OutgoingRecord {
  topic: string;
  /** Partition key: a container's data stays in one partition, in order. */
  key: Buffer | null;
  value: Buffer;
  timeMs: number;
}

export interface ProducerSettings {
  brokers: string[];
  clientId: string;
  /**
   * The producer's transactional id: kafkajs sends transactions idempotently (producer id,
   * epoch, sequence numbers), and a restarted agent with the same id fences its old self.
   */
  transactionalId: string;
  /** lz4, snappy and zstd through codecs registered into kafkajs (lib/kafka/compression.ts). */
  compression: KafkaCompression;
  /** PEM files; "" for none. TLS is on when any is set or tls is true. */
  tls: { enabled: boolean; caFile: string; certFile: string; keyFile: string };
  sasl: {
    mechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    passwordFile: string;
  };
  /** Per request; also bounds connecting. */
  requestTimeoutMs: number;
}

function readKeyFile(key: string, path: string): string | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      key,
      `${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The kafkajs client configuration, TLS and SASL files read now (unreadable: config error). */
export function kafkaConfig(settings: ProducerSettings): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
    // The sink retries through its spool; kafkajs' own retries only bridge short blips.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  };
  const { tls } = settings;
  const ca = readKeyFile('kafka.tlsCaFile', tls.caFile);
  const cert = readKeyFile('kafka.tlsCertFile', tls.certFile);
  const key = readKeyFile('kafka.tlsKeyFile', tls.keyFile);
  if (tls.enabled || ca !== undefined || cert !== undefined) {
    config.ssl = { ca: ca === undefined ? undefined : [ca], cert, key, rejectUnauthorized: true };
  }
  const { sasl } = settings;
  if (sasl.mechanism !== 'none') {
    const password = readKeyFile('kafka.saslPasswordFile', sasl.passwordFile) ?? '';
    config.sasl = {
      mechanism: sasl.mechanism,
      username: sasl.username,
      password: password.trim(),
    } as SASLOptions;
  }
  return config;
}

/**
 * The agent's producer: acks from all in-sync replicas, one request in flight per broker (so a
 * retried batch can't overtake the next), every send one transaction.
 */
export class AgentProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(private readonly settings: ProducerSettings) {
    registerKafkaCodecs();
    this.producer = new Kafka(kafkaConfig(settings)).producer({
      transactionalId: settings.transactionalId,
      // A transaction left open by a killed agent blocks its successor until it times out
      // (a broker that cannot abort it on fencing); a batch's transaction takes well under this.
      transactionTimeout: Math.max(5000, 2 * settings.requestTimeoutMs),
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  /** Sends the records as one transaction; throws when Kafka did not take them all. */
  async send(records: readonly OutgoingRecord[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    const transaction = await this.producer.transaction();
    try {
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
      await transaction.sendBatch({
        acks: -1,
        timeout: this.settings.requestTimeoutMs,
        compression: compressionType(this.settings.compression),
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // A producer that failed mid-transaction reconnects (and re-inits its id) next time.
      await this.disconnect();
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }
}
