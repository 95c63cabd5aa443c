import type { Datapoint } from '../../lib/model/datapoint.js';
import { type RejectListener, StatsdDecoder } from '../sources/statsd/decoder.js';
import { StatsdStats } from '../sources/statsd/stats.js';
import { type AggregatorOptions, StatsdAggregator } from '../transforms/statsd-aggregate/aggregator.js';

/**
 * The aggregator with its flushes timed, for corral_statsd_flush_duration_seconds, and run
 * one at a time: whoever drives the flushes (the ticker, a stop) calls flush() or
 * flushInSlices() as on any aggregator, and a flush asked for while a sliced one runs waits
 * for it.
 */
export class TimedAggregator extends StatsdAggregator {
  /** Called after each flush with its wall time in seconds and the datapoints it emitted. */
  onFlushed: ((seconds: number, datapoints: number) => void) | undefined;
  private flushing: Promise<unknown> = Promise.resolve();
  /** Sliced flushes running or waiting to. */
  private pending = 0;

  override flush(timeMs: number, intervalMs?: number): Datapoint[] {
    if (this.pending > 0) throw new Error('flush() while a sliced flush runs: await flushInSlices()');
    const started = performance.now();
    const points = super.flush(timeMs, intervalMs);
    this.onFlushed?.((performance.now() - started) / 1000, points.length);
    return points;
  }

  /** Starts at once when no other runs (the interval ends now), else after the ones before it. */
  override flushInSlices(timeMs: number, intervalMs?: number, sliceMs?: number): Promise<Datapoint[]> {
    const run = async () => {
      const started = performance.now();
      try {
        const points = await super.flushInSlices(timeMs, intervalMs, sliceMs);
        this.onFlushed?.((performance.now() - started) / 1000, points.length);
        return points;
      } finally {
        this.pending--;
      }
    };
    const flushed = this.pending++ === 0 ? run() : this.flushing.then(run);
    this.flushing = flushed.catch(() => {});
    return flushed;
  }
}

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
  readonly aggregator: TimedAggregator;
  private readonly decoder: StatsdDecoder;

  constructor(options: StatsdEngineOptions, onReject: RejectListener = () => {}) {
    this.aggregator = new TimedAggregator(options);
    this.decoder = new StatsdDecoder(
      options,
      this.stats,
      (line, portContainer, addressContainer) =>
        this.aggregator.ingest(line, portContainer, addressContainer),
      onReject,
    );
  }

  /**
   * A UDP datagram. portContainer: the container whose own port it arrived on (it owns every
   * line). addressContainer: the container of its sender on a shared listener ("" for none),
   * undefined when attribution by address is off; the lines' own c: field or container_id
   * tag come first.
   */
  ingestPacket(packet: Buffer, portContainer = '', addressContainer?: string): void {
    this.decoder.decodePacket(packet, portContainer, addressContainer);
  }

  /** Whole lines from a stream (TCP), no packet size limit; the containers as for packets. */
  ingestLines(bytes: Buffer, portContainer = '', addressContainer?: string): void {
    this.decoder.decodeLines(bytes, portContainer, addressContainer);
  }

  /** Emits the interval ending at timeMs (intervalMs long) and starts the next. */
  flush(timeMs: number, intervalMs?: number): Datapoint[] {
    return this.aggregator.flush(timeMs, intervalMs);
  }

  /** flush(), a slice at a time, letting the event loop (the sockets) run between slices. */
  flushInSlices(timeMs: number, intervalMs?: number): Promise<Datapoint[]> {
    return this.aggregator.flushInSlices(timeMs, intervalMs);
  }
}
