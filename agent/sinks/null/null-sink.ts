import type { Datapoint, DatapointSink } from '../../../lib/model/datapoint.js';

/** Discards datapoints, counting them: for benchmarks and for dry runs. */
export class NullSink implements DatapointSink {
  datapoints = 0;
  batches = 0;

  write(batch: readonly Datapoint[]): void {
    this.datapoints += batch.length;
    this.batches++;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
