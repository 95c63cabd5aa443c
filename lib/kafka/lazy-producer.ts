import type { Producer } from 'kafkajs';

/**
 * A kafkajs producer made and connected on first use, and thrown away after a failed request:
 * the next use makes a fresh one. A fresh producer, not a reconnect, because kafkajs keeps a
 * transaction's state in the producer object: an abort that failed (the brokers were down)
 * leaves it in ABORTING for good, and every later transaction is refused. A fresh producer
 * with the same transactional id re-inits it, which fences the old epoch and has the broker
 * abort whatever it left open.
 */
export class LazyProducer {
  private producer: Producer | undefined;

  constructor(private readonly create: () => Producer) {}

  /**
   * Connects a producer if need be and runs `use`. When it throws, the producer is disconnected
   * and dropped (one that failed mid-request may hold a broken connection or transaction), and
   * the error is rethrown.
   */
  async run<T>(use: (producer: Producer) => Promise<T>): Promise<T> {
    if (this.producer === undefined) {
      const fresh = this.create();
      try {
        await fresh.connect();
      } catch (error) {
        await fresh.disconnect().catch(() => undefined);
        throw error;
      }
      this.producer = fresh;
    }
    try {
      return await use(this.producer);
    } catch (error) {
      await this.disconnect();
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) return;
    this.producer = undefined;
    await producer.disconnect().catch(() => undefined);
  }
}
