/** One partition's chunk is touched by one task at a time: its batch handler, or a flush to make room. */
export class PartitionLock {
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
