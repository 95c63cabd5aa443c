import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';
import type { MetadataUpdate, TaskEvent } from '../../../lib/model/dimensions.js';
import type { OutgoingRecord } from '../kafka/producer.js';

/** Turns what the agent emits into Kafka records (Avro values, partition keys, topics). */
export interface RecordEncoder {
  metrics(batch: readonly Datapoint[]): OutgoingRecord[];
  events(events: readonly TaskEvent[]): OutgoingRecord[];
  metadata(updates: readonly MetadataUpdate[]): OutgoingRecord[];
}

/**
 * A sink that stores encoded records (the Kafka sink's spool, `corral start`'s in-process
 * log): every write is encoded and stored strictly in call order, so records keep the order
 * the agent emitted them in. A batch that cannot be encoded is dropped, counted and logged;
 * one failed store does not fail the writes after it.
 */
export abstract class EncodingSink implements DatapointSink {
  /** Batches that could not be encoded (a bug, counted and logged; the rest goes on). */
  encodeErrors = 0;
  private appending: Promise<void> = Promise.resolve();

  protected constructor(
    private readonly encoder: RecordEncoder,
    protected readonly log: RateLimitedLog,
    /** Prefix of the rate-limited log reason, e.g. "kafka". */
    private readonly logName: string,
  ) {}

  write(batch: readonly Datapoint[]): Promise<void> {
    return this.append(() => this.encoder.metrics(batch));
  }

  writeEvents(events: readonly TaskEvent[]): Promise<void> {
    return this.append(() => this.encoder.events(events));
  }

  writeMetadata(updates: readonly MetadataUpdate[]): Promise<void> {
    return this.append(() => this.encoder.metadata(updates));
  }

  abstract close(): Promise<void>;

  /** Stores one write's records; called one write at a time, in call order. */
  protected abstract store(records: OutgoingRecord[]): Promise<void>;

  /** Resolves once every write made so far is stored (or failed). */
  protected stored(): Promise<void> {
    return this.appending.catch(() => {});
  }

  private append(encode: () => OutgoingRecord[]): Promise<void> {
    this.appending = this.stored().then(async () => {
      let records: OutgoingRecord[];
      try {
        records = encode();
      } catch (error) {
        this.encodeErrors++;
        this.log.error(
          `${this.logName}_encode_failed`,
          { err: error },
          'batch could not be encoded; dropped',
        );
        return;
      }
      await this.store(records);
    });
    return this.appending;
  }
}
