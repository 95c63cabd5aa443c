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
    const now = this.now();
    // A timer may fire a millisecond early; never flush an interval before it ends.
    if (now < this.nextBoundary) {
      this.schedule();
      return;
    }
    // Late (a stalled loop): report up to the last boundary passed, one interval that long,
    // rather than a burst of flushes or a stamp that lies about what it covers.
    const boundary = Math.floor(now / this.intervalMs) * this.intervalMs;
    const length = boundary - this.intervalStart;
    this.intervalStart = boundary;
    this.nextBoundary = boundary + this.intervalMs;
    this.schedule();
    this.onTick(boundary, length);
  }
}
