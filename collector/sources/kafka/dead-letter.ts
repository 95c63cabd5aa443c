/**
 * Poison messages go to the dead-letter topic as they were (key, value, headers, timestamp),
 * with why in headers: `reason` (a PoisonReason), `detail`, and `original_topic`,
 * `original_partition`, `original_offset`. Consumption goes on past them, but a chunk's
 * offsets are committed only once its poison messages are on the dead-letter topic: a send
 * that fails throws, and the chunk waits and retries (nothing is skipped unrecorded).
 */
import { CompressionTypes, type IHeaders, Kafka, type Message } from 'kafkajs';
import { type KafkaClientSettings, kafkaConfig } from '../../../lib/kafka/client-config.js';
import { LazyProducer } from '../../../lib/kafka/lazy-producer.js';
import { RECORD_OVERHEAD_BYTES, requestRuns } from '../../../lib/kafka/request-runs.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { PoisonReason } from '../../model.js';

/** A consumed message that could not be used, and why. */
export interface PoisonMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
  /** The message's own timestamp (ms since the epoch, as kafkajs gives it). */
  timestamp: string;
  reason: PoisonReason;
  detail: string;
}

/** Where dead letters are written: a Kafka producer in production, anything in tests. */
export interface DeadLetterProducer {
  send(topic: string, messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** The header names the collector adds; an original header of the same name is replaced. */
export const DEAD_LETTER_HEADERS = [
  'reason',
  'detail',
  'original_topic',
  'original_partition',
  'original_offset',
] as const;

/** Details longer than this are cut: a header is for a human reading the topic. */
const MAX_DETAIL_LENGTH = 1000;

export function deadLetterMessage(poison: PoisonMessage): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(poison.headers ?? {})) {
    if (value !== undefined && !(DEAD_LETTER_HEADERS as readonly string[]).includes(name))
      headers[name] = value;
  }
  headers.reason = poison.reason;
  headers.detail = poison.detail.slice(0, MAX_DETAIL_LENGTH);
  headers.original_topic = poison.topic;
  headers.original_partition = String(poison.partition);
  headers.original_offset = poison.offset;
  return { key: poison.key, value: poison.value, headers, timestamp: poison.timestamp };
}

export class DeadLetters {
  /** Messages dead-lettered (acknowledged by Kafka), by reason. */
  readonly counts = new Map<PoisonReason, number>();

  constructor(
    private readonly producer: DeadLetterProducer,
    readonly topic: string,
    private readonly log: RateLimitedLog,
  ) {}

  /** Notes a poison message when it is met (rate-limited log line per reason). */
  noted(poison: PoisonMessage): void {
    this.log.warn(
      `poison_${poison.reason}`,
      () => ({
        topic: poison.topic,
        partition: poison.partition,
        offset: poison.offset,
        detail: poison.detail.slice(0, 200),
      }),
      'poison message: copied to the dead-letter topic',
    );
  }

  /** Writes the messages to the dead-letter topic; throws if Kafka did not take them all. */
  async send(messages: readonly PoisonMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send(this.topic, messages.map(deadLetterMessage));
    for (const poison of messages) this.counts.set(poison.reason, (this.counts.get(poison.reason) ?? 0) + 1);
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** What a dead letter takes in a produce request: key, value, header names and values, framing. */
function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      (Array.isArray(value) ? value : [value]).reduce((n, v) => n + byteLength(v), 0);
  return bytes;
}

function byteLength(bytes: Buffer | string | null | undefined): number {
  return bytes == null ? 0 : Buffer.byteLength(bytes);
}

/**
 * A plain kafkajs producer, acks from all in-sync replicas: a dead letter may be written twice
 * (a retried send, a chunk re-consumed after a crash), never lost. (kafkajs's idempotent
 * producer needs the controller, which some brokers, librdkafka's mock among them, misreport.)
 */
export class KafkaDeadLetterProducer implements DeadLetterProducer {
  private readonly producer: LazyProducer;

  constructor(
    settings: KafkaClientSettings,
    private readonly compression: CompressionTypes = CompressionTypes.GZIP,
    /** kafka.maxRequestBytes: poison messages near the size limit go a request or a few each. */
    private readonly maxRequestBytes = 1_000_000,
  ) {
    const kafka = new Kafka(kafkaConfig(settings));
    this.producer = new LazyProducer(() =>
      kafka.producer({
        allowAutoTopicCreation: false,
        maxInFlightRequests: 1,
      }),
    );
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    await this.producer.run(async (producer) => {
      for (const run of requestRuns(messages, this.maxRequestBytes, messageBytes))
        await producer.send({ topic, messages: run, acks: -1, compression: this.compression });
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
