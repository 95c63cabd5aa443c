import type { LocalLog } from '../../../lib/local-log/local-log.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';
import type { MetadataUpdate, TaskEvent } from '../../../lib/model/dimensions.js';
import type { RecordEncoder } from '../kafka/kafka-sink.js';
import type { OutgoingRecord } from '../kafka/producer.js';

/**
 * `corral start`'s sink: the records the Kafka sink would send (same encoder, same Avro bytes,
 * same topics and keys), appended to the in-process log the collector reads. An append is a
 * local file write; there is nothing to retry.
 */
export class LocalLogSink implements DatapointSink {
  readonly stats = { appended: 0, encodeErrors: 0 };
  private appending: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: LocalLog,
    private readonly encoder: RecordEncoder,
    private readonly rateLimited: RateLimitedLog,
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

  /** Waits for the appends in progress; the log itself stays open for the collector. */
  async close(): Promise<void> {
    await this.appending.catch(() => {});
  }

  private append(encode: () => OutgoingRecord[]): Promise<void> {
    // In call order, and one failed append does not fail the ones after it.
    const previous = this.appending.catch(() => {});
    this.appending = previous.then(async () => {
      let records: OutgoingRecord[];
      try {
        records = encode();
      } catch (error) {
        this.stats.encodeErrors++;
        this.rateLimited.error(
          'local_log_encode_failed',
          { err: error },
          'batch could not be encoded; dropped',
        );
        return;
      }
      await Promise.all(records.map((record) => this.log.append(record)));
      this.stats.appended += records.length;
    });
    return this.appending;
  }
}
