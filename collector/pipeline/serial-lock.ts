/**
 * Tasks run one at a time, in the order they asked: a partition's chunk is touched by its batch
 * handler or by a flush making room, never both; embedded inserts run one after another.
 */
export class SerialLock {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  get locked(): boolean {
    return this.holders > 0;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holders++;
    try {
      await previous;
      return await task();
    } finally {
      this.holders--;
      release();
    }
  }
}
