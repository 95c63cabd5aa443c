import type { Datapoint } from '../../lib/model/datapoint.js';
import { type RejectListener, StatsdDecoder } from '../sources/statsd/decoder.js';
import { StatsdStats } from '../sources/statsd/stats.js';
import { type AggregatorOptions, StatsdAggregator } from '../transforms/statsd-aggregate/aggregator.js';

export interface StatsdEngineOptions extends AggregatorOptions {
  maxPacketSize: number;
  maxLineLength: number;
}

/**
 * Decoding and aggregation joined, without sockets or timers: what the listeners feed and
 * the flush ticker drains. Tests and benchmarks drive it directly.
 */
export class StatsdEngine {
  readonly stats = new StatsdStats();
  readonly aggregator: StatsdAggregator;
  private readonly decoder: StatsdDecoder;

  constructor(options: StatsdEngineOptions, onReject: RejectListener = () => {}) {
    this.aggregator = new StatsdAggregator(options);
    this.decoder = new StatsdDecoder(
      options,
      this.stats,
      (line, containerId) => this.aggregator.ingest(line, containerId),
      onReject,
    );
  }

  /** A UDP datagram, for a container when it arrived on that container's own port. */
  ingestPacket(packet: Buffer, containerId = ''): void {
    this.decoder.decodePacket(packet, containerId);
  }

  /** Whole lines from a stream (TCP), no packet size limit. */
  ingestLines(bytes: Buffer, containerId = ''): void {
    this.decoder.decodeLines(bytes, containerId);
  }

  /** Emits the interval ending at timeMs (intervalMs long) and starts the next. */
  flush(timeMs: number, intervalMs?: number): Datapoint[] {
    return this.aggregator.flush(timeMs, intervalMs);
  }
}
