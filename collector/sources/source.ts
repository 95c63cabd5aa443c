import type { Logger } from 'pino';
import type { BatchHandler } from './kafka/consumer.js';
import type { DeadLetterProducer } from './kafka/dead-letter.js';

/** What feeds the pipeline: the Kafka consumer group, or the in-process log of `corral start`. */
export interface ConsumerSource {
  /** Reading, with partitions to read (readiness). */
  readonly connected: boolean;
  /** Why it is not ready, for /readyz. */
  readonly notConnectedReason: string;
  start(): Promise<void>;
  /** Finishes the batches being handled (their chunks written and committed), then stops. */
  stop(): Promise<void>;
}

/** Where the collector reads from and where its dead letters go, when not Kafka. */
export interface CollectorTransport {
  source(handler: BatchHandler, logger: Logger): ConsumerSource;
  deadLetters: DeadLetterProducer;
  /** Where dead letters end up, for the log line at start. */
  deadLetterDestination: string;
}
