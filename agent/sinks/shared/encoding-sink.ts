import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';
import type { MetadataUpdate, TaskEvent } from '../../../lib/model/dimensions.js';
import type { OutgoingRecord } from '../kafka/producer.js';

/**
 * Kafka messages, encoded when called (so a large write is encoded a few at a time): usually
 * one; more when one would have been too large.
 */
export type PendingRecord = () => readonly OutgoingRecord[];

/** Turns what the agent emits into Kafka records (Avro values, partition keys, topics). */
export interface RecordEncoder {
  metrics(batch: readonly Datapoint[]): Iterable<PendingRecord>;
  events(events: readonly TaskEvent[]): OutgoingRecord[];
  metadata(updates: readonly MetadataUpdate[]): OutgoingRecord[];
}

/**
 * How long encoding may hold the event loop before it lets the sockets be read: a flush of
 * 100,000 series takes a few hundred milliseconds to encode.
 */
const ENCODE_SLICE_MS = 5;

/** The records as they are, for writes small enough to encode at once. */
const ready = (records: readonly OutgoingRecord[]): PendingRecord[] => [() => records];

/**
 * A sink that stores encoded records (the Kafka sink's spool, `corral start`'s in-process
 * log): every write is encoded and stored strictly in call order, so records keep the order
 * the agent emitted them in. Encoding goes a message at a time, yielding to the event loop
 * every few milliseconds. A message that cannot be encoded is dropped, counted and logged,
 * and the write's other messages are stored; one failed store does not fail the writes
 * after it.
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
    return this.append(() => ready(this.encoder.events(events)));
  }

  writeMetadata(updates: readonly MetadataUpdate[]): Promise<void> {
    return this.append(() => ready(this.encoder.metadata(updates)));
  }

  abstract close(): Promise<void>;

  /** Stores one write's records; called one write at a time, in call order. */
  protected abstract store(records: OutgoingRecord[]): Promise<void>;

  /** Resolves once every write made so far is stored (or failed). */
  protected stored(): Promise<void> {
    return this.appending.catch(() => {});
  }

  private append(encode: () => Iterable<PendingRecord>): Promise<void> {
    this.appending = this.stored().then(async () => {
      const records = await this.encodeInSlices(encode);
      if (records.length > 0) await this.store(records);
    });
    return this.appending;
  }

  private async encodeInSlices(encode: () => Iterable<PendingRecord>): Promise<OutgoingRecord[]> {
    const records: OutgoingRecord[] = [];
    let sliceStart = performance.now();
    try {
      for (const pending of encode()) {
        try {
          for (const record of pending()) records.push(record);
        } catch (error) {
          this.encodeFailed(error);
        }
        if (performance.now() - sliceStart >= ENCODE_SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    } catch (error) {
      // Not one message's fault: whatever the write had left is lost.
      this.encodeFailed(error);
    }
    return records;
  }

  private encodeFailed(error: unknown): void {
    this.encodeErrors++;
    this.log.error(`${this.logName}_encode_failed`, { err: error }, 'message could not be encoded; dropped');
  }
}
