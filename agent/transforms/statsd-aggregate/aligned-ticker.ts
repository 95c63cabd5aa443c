/**
 * Calls onTick at every wall-clock multiple of intervalMs (10:00:00, 10:00:10, ...), so
 * every agent's intervals line up and datapoints from many nodes share timestamps.
 */
export class AlignedTicker {
  private timer: NodeJS.Timeout | undefined;
  private nextBoundary = 0;
  /** Start of the interval in progress (the last boundary passed, or the start time). */
  intervalStart = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly onTick: (boundaryMs: number, lengthMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const now = this.now();
    this.intervalStart = now;
    this.nextBoundary = (Math.floor(now / this.intervalMs) + 1) * this.intervalMs;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.nextBoundary - this.now()));
  }

  private fire(): void {
    const boundary = this.nextBoundary;
    // A timer may fire a millisecond early; never flush an interval before it ends.
    if (this.now() < boundary) {
      this.schedule();
      return;
    }
    const length = boundary - this.intervalStart;
    this.intervalStart = boundary;
    // Skip boundaries already past (a stalled loop) rather than flushing in a burst.
    this.nextBoundary = (Math.floor(this.now() / this.intervalMs) + 1) * this.intervalMs;
    this.schedule();
    this.onTick(boundary, length);
  }
}
