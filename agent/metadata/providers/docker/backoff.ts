/** Delays between reconnect attempts: doubling from min up to max, back to min once reset. */
export class Backoff {
  private nextMs: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    if (!(minMs >= 1) || !(maxMs >= minMs))
      throw new RangeError(`backoff needs 1 <= min <= max, got min ${minMs}, max ${maxMs}`);
    this.nextMs = minMs;
  }

  /** The delay before the next attempt; the one after is twice as long, up to max. */
  next(): number {
    const delayMs = this.nextMs;
    this.nextMs = Math.min(this.maxMs, delayMs * 2);
    return delayMs;
  }

  reset(): void {
    this.nextMs = this.minMs;
  }
}
