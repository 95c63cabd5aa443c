import type { LocalLog } from '../../../lib/local-log/local-log.js';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { OutgoingRecord } from '../kafka/producer.js';
import { EncodingSink, type RecordEncoder } from '../shared/encoding-sink.js';

/**
 * `corral start`'s sink: the records the Kafka sink would send (same encoder, same Avro bytes,
 * same topics and keys), appended to the in-process log the collector reads. An append is a
 * local file write; there is nothing to retry.
 */
export class LocalLogSink extends EncodingSink {
  constructor(
    private readonly localLog: LocalLog,
    encoder: RecordEncoder,
    log: RateLimitedLog,
  ) {
    super(encoder, log, 'local_log');
  }

  /** Waits for the appends in progress; the log itself stays open for the collector. */
  async close(): Promise<void> {
    await this.stored();
  }

  protected async store(records: OutgoingRecord[]): Promise<void> {
    await Promise.all(records.map((record) => this.localLog.append(record)));
  }
}
