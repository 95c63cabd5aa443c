/**
 * Whether more is arriving on a caught-up partition, for the pipeline's quiet rule
 * (collector.batchIdle): while some batch handler waits, the topics' end offsets are read
 * every POLL_MS with ListOffsets (kafkajs's admin, read_committed: the last stable offset, so
 * an open transaction is not "more" until it ends). kafkajs cannot say it: it fetches again
 * only once every handler of the fetch has returned.
 */
import type { Admin } from 'kafkajs';
import type { MoreAfter } from '../../pipeline/pipeline.js';

/** How often the end offsets are read while a handler waits. */
const POLL_MS = 50;

interface Waiter {
  topic: string;
  partition: number;
  offset: bigint;
  /** When the wait began (monotonic ms): only a read begun later tells the partition is quiet. */
  since: number;
  /** A read begun after `since` succeeded and found nothing past `offset`. */
  seenQuiet: boolean;
  settle(result: MoreAfter): void;
}

export class EndOffsetWatch {
  private readonly waiters = new Set<Waiter>();
  private polling = false;
  private connected: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly admin: Admin) {}

  /**
   * 'more' as soon as the partition holds a message at or past `offset`; after `ms`, 'quiet'
   * when a read begun during the wait succeeded and none found more, 'unknown' when no read
   * succeeded (brokers away).
   */
  awaitMore(topic: string, partition: number, offset: bigint, ms: number): Promise<MoreAfter> {
    if (this.closed) return Promise.resolve('unknown');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        topic,
        partition,
        offset,
        since: performance.now(),
        seenQuiet: false,
        settle: (result) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          resolve(result);
        },
      };
      const timer = setTimeout(() => waiter.settle(waiter.seenQuiet ? 'quiet' : 'unknown'), ms);
      this.waiters.add(waiter);
      void this.poll();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.settle('unknown');
    if (this.connected !== undefined) await this.admin.disconnect().catch(() => undefined);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      while (this.waiters.size > 0 && !this.closed) {
        const began = performance.now();
        const topics = new Set([...this.waiters].map((w) => w.topic));
        for (const topic of topics) await this.read(topic, began);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      this.polling = false;
    }
  }

  /** One read of `topic`'s end offsets; a failure leaves its waiters to their timeouts. */
  private async read(topic: string, began: number): Promise<void> {
    let ends: Map<number, bigint>;
    try {
      this.connected ??= this.admin.connect();
      await this.connected;
      const offsets = await this.admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } catch {
      // Connect again on the next read.
      const connected = this.connected;
      this.connected = undefined;
      if (connected !== undefined) await this.admin.disconnect().catch(() => undefined);
      return;
    }
    for (const waiter of this.waiters) {
      if (waiter.topic !== topic) continue;
      const end = ends.get(waiter.partition);
      if (end === undefined) continue;
      if (end > waiter.offset) waiter.settle('more');
      else if (began >= waiter.since) waiter.seenQuiet = true;
    }
  }
}
