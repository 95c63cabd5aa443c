/**
 * Turns cumulative kernel counters (cpu seconds, bytes read, packets sent) into what the
 * datapoint model carries for a counter: the increase over the scrape interval and its rate
 * per second. A counter lower than its previous reading was reset (a restarted container,
 * a recreated cgroup or interface): like Prometheus' increase(), the interval then counts
 * from zero, so the rate is never negative.
 */
export interface CounterIncrease {
  increase: number;
  /** Per second over the time between the two readings. */
  rate: number;
}

interface Reading {
  value: number;
  /** Monotonic milliseconds (performance.now()) of the reading. */
  atMs: number;
  /** Scrape number of the reading, so counters not seen any more can be forgotten. */
  scrape: number;
}

export class CounterDeltas {
  private readonly readings = new Map<string, Reading>();
  private scrape = 0;

  /** Starts a scrape; readings not refreshed by the end of it are forgotten by sweep(). */
  begin(): void {
    this.scrape++;
  }

  /**
   * Records a counter's cumulative value; returns its increase since the previous reading,
   * or undefined on first sight (no interval yet) or when no time has passed.
   */
  observe(key: string, value: number, atMs: number): CounterIncrease | undefined {
    const previous = this.readings.get(key);
    if (previous === undefined) {
      this.readings.set(key, { value, atMs, scrape: this.scrape });
      return undefined;
    }
    const elapsedMs = atMs - previous.atMs;
    const increase = value >= previous.value ? value - previous.value : value;
    previous.value = value;
    previous.atMs = atMs;
    previous.scrape = this.scrape;
    if (elapsedMs <= 0) return undefined;
    return { increase, rate: increase / (elapsedMs / 1000) };
  }

  /** Forgets counters not observed in the current scrape (containers and devices gone). */
  sweep(): number {
    let forgotten = 0;
    for (const [key, reading] of this.readings) {
      if (reading.scrape !== this.scrape) {
        this.readings.delete(key);
        forgotten++;
      }
    }
    return forgotten;
  }

  get size(): number {
    return this.readings.size;
  }
}
