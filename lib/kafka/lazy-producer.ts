import type { Producer } from 'kafkajs';

/** A kafkajs producer connected on first use, and dropped after a failed request to reconnect next time. */
export class LazyProducer {
  private connected = false;

  constructor(private readonly producer: Producer) {}

  /**
   * Connects if need be and runs `use`. When it throws, the producer disconnects (one that failed
   * mid-request may hold a broken connection) and the error is rethrown.
   */
  async run<T>(use: (producer: Producer) => Promise<T>): Promise<T> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    try {
      return await use(this.producer);
    } catch (error) {
      await this.disconnect();
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }
}
