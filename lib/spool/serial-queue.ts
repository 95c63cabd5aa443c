/** Runs async tasks one at a time in call order: the spool's files have one writer and one reader position. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task fails its caller, not the tasks queued behind it.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
