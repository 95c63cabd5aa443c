import { connect } from 'node:net';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Spool, SpoolEntry } from '../../../lib/spool/spool.js';
import { EncodingSink, type RecordEncoder } from '../shared/encoding-sink.js';
import type { OutgoingRecord } from './producer.js';

/** How long a stop waits for Kafka to take what is spooled. */
const CLOSE_DRAIN_MS = 5000;

/** Sends records to Kafka as one unit; throws when Kafka did not take them all. */
export interface RecordTransport {
  send(records: readonly OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaSinkOptions {
  /** Records per produce request when replaying. */
  batchRecords?: number;
  /** Bytes per produce request when replaying (values), roughly. */
  batchBytes?: number;
  /** Wait after a failed send, doubling up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Plain counters for the self-metrics. */
export interface KafkaSinkStats {
  /** Records Kafka acknowledged. */
  sent: number;
  /** Bytes of those records' keys and values, before compression. */
  bytesSent: number;
  /** Produce requests that failed (the records stay spooled and are sent again). */
  sendFailures: number;
  /** Produce latency of the last successful request, ms. */
  lastSendMs: number;
}

/**
 * The Kafka sink writes ahead: every encoded batch is appended to the on-disk spool first,
 * and one drain loop sends the spool's oldest records to Kafka and acknowledges them once
 * Kafka has. So records go out strictly in the order they were written, survive a Kafka
 * outage (within the spool's capacity) and an agent crash (what was not acknowledged is
 * sent again: at least once, the collector deduplicates), and a slow Kafka never holds up
 * the sources: they only ever wait for a local append.
 */
export class KafkaSink extends EncodingSink {
  readonly stats: KafkaSinkStats = {
    sent: 0,
    bytesSent: 0,
    sendFailures: 0,
    lastSendMs: 0,
  };
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** What the last send said: undefined before the first, null after a success, its error after a failure. */
  private lastSend: Error | null | undefined;
  private closed = false;
  private readonly batchRecords: number;
  private readonly batchBytes: number;

  constructor(
    private readonly spool: Spool,
    encoder: RecordEncoder,
    private readonly transport: RecordTransport,
    log: RateLimitedLog,
    private readonly options: KafkaSinkOptions = {},
  ) {
    super(encoder, log, 'kafka');
    this.batchRecords = options.batchRecords ?? 500;
    this.batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
    // What a previous run left in the spool goes first.
    if (spool.stats.records > 0) this.drain();
  }

  /**
   * Why the sink cannot deliver now, or undefined when it can: the last send failed; before
   * any send, what `probe` says (a quick connection to a broker, kafkaBrokerProbe), if given.
   */
  async notReady(probe?: () => Promise<string | undefined>): Promise<string | undefined> {
    if (this.lastSend === undefined) return probe?.();
    return this.lastSend === null ? undefined : `the last Kafka send failed: ${this.lastSend.message}`;
  }

  /** Resolves once the spool is empty (everything acknowledged) or after timeoutMs. */
  async flushed(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.spool.stats.records > 0 && Date.now() < until) {
      this.drain();
      await (this.draining ?? new Promise((resolve) => setTimeout(resolve, 20)));
    }
    return this.spool.stats.records === 0;
  }

  /**
   * Sends what is spooled (for up to 5 s, unless Kafka is failing), then stops sending; what
   * is not acknowledged stays in the spool for the next start.
   */
  async close(): Promise<void> {
    await this.stored();
    // The last flush goes out with the stop while Kafka takes sends; with Kafka failing, it
    // waits in the spool for the next start instead of holding the stop up.
    if (this.lastSend !== undefined && this.lastSend !== null)
      this.log.warn(
        'kafka_close_spooled',
        { spooled: this.spool.stats.records },
        'stopping with batches spooled: Kafka is failing',
      );
    else await this.flushed(CLOSE_DRAIN_MS);
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.draining;
    await this.spool.close();
    await this.transport.disconnect();
  }

  /** Spools the records (queued together, so the spool writes them in one go, in this order), then drains. */
  protected async store(records: OutgoingRecord[]): Promise<void> {
    try {
      await Promise.all(records.map((record) => this.spool.append(record)));
    } finally {
      this.drain();
    }
  }

  /** Starts the drain loop unless it runs; a running one is told to look again. */
  private drain(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    if (this.draining !== undefined) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
      if (this.drainAgain && this.retryTimer === undefined) {
        this.drainAgain = false;
        this.drain();
      }
    });
  }

  /**
   * Sends the spool's oldest records, one send at a time and in order, and acknowledges each
   * batch once Kafka has. Pipelined: the next batch is read from the spool while one is in
   * flight, and a batch's acknowledgment is written while the next one is in flight.
   */
  private async drainLoop(): Promise<void> {
    let acked: Promise<void> = Promise.resolve();
    let next: Promise<SpoolEntry[]> | undefined;
    try {
      this.drainAgain = false;
      let entries = await this.spool.peek(this.batchRecords, this.batchBytes);
      while (!this.closed && entries.length > 0) {
        const last = entries.at(-1)!;
        const started = performance.now();
        const sent = this.transport.send(entries);
        // Appends the read-ahead misses start the loop again once it ends.
        this.drainAgain = false;
        // After the flush being spooled at this moment, if any, so that sends are not a few records each.
        next = this.stored().then(() => this.spool.peek(this.batchRecords, this.batchBytes, last));
        try {
          await sent;
        } catch (error) {
          this.lastSend = error instanceof Error ? error : new Error(String(error));
          this.stats.sendFailures++;
          this.failures++;
          const delayMs = Math.min(
            // A retry is one connection attempt: cheap enough that a recovered Kafka waits at most 5 s.
            this.options.retryMaxMs ?? 5_000,
            (this.options.retryMinMs ?? 200) * 2 ** (this.failures - 1),
          );
          this.log.warn(
            'kafka_send_failed',
            { err: error, retryInMs: delayMs, spooled: this.spool.stats.records },
            'Kafka send failed; batches stay spooled',
          );
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.drain();
          }, delayMs);
          this.retryTimer.unref();
          return;
        }
        this.failures = 0;
        this.lastSend = null;
        this.stats.lastSendMs = performance.now() - started;
        this.stats.sent += entries.length;
        for (const entry of entries) this.stats.bytesSent += entry.value.length + (entry.key?.length ?? 0);
        await acked;
        acked = this.spool.ack(last);
        entries = await next;
        next = undefined;
      }
    } finally {
      next?.catch(() => {});
      await acked;
    }
  }
}

export interface BrokerProbeOptions {
  /** Most time one connection attempt may take. */
  timeoutMs?: number;
  /** How long an answer is reused: readiness probes every few seconds need not reconnect each time. */
  cacheMs?: number;
}

/**
 * A quick check that some broker accepts a TCP connection (the brokers, "host:port", are tried
 * at once; the first to accept answers), for KafkaSink.notReady before anything was sent. The
 * answer is cached for cacheMs and concurrent callers share one attempt.
 */
export function kafkaBrokerProbe(
  brokers: readonly string[],
  options: BrokerProbeOptions = {},
): () => Promise<string | undefined> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const cacheMs = options.cacheMs ?? 5_000;
  let cached: { atMs: number; answer: Promise<string | undefined> } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.atMs > cacheMs) {
      cached = { atMs: now, answer: probeBrokers(brokers, timeoutMs) };
    }
    return cached.answer;
  };
}

async function probeBrokers(brokers: readonly string[], timeoutMs: number): Promise<string | undefined> {
  const failures = await Promise.all(brokers.map((broker) => probeBroker(broker, timeoutMs)));
  if (failures.some((failure) => failure === undefined)) return undefined;
  return `no Kafka broker reachable (${failures.join(', ')})`;
}

/** undefined when `broker` accepts a connection within timeoutMs, else "<broker>: <why>". */
function probeBroker(broker: string, timeoutMs: number): Promise<string | undefined> {
  const colon = broker.lastIndexOf(':');
  const host = broker.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(broker.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (failure: string | undefined) => {
      socket.destroy();
      resolve(failure);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`${broker}: no answer within ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${broker}: ${error.code ?? error.message}`));
  });
}
