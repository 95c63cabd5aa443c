/**
 * Turns cumulative kernel counters (cpu seconds, bytes read, packets sent) into what the
 * datapoint model carries for a counter: the increase over the scrape interval and its rate
 * per second. A counter lower than its previous reading was reset (a restarted container,
 * a recreated cgroup or interface): like Prometheus' increase(), the interval then counts
 * from zero, so the rate is never negative.
 */
interface Reading {
  value: number;
  /** Monotonic milliseconds (performance.now()) of the reading. */
  atMs: number;
  /** Scrape number of the reading, so counters not seen any more can be forgotten. */
  scrape: number;
}

/**
 * Readings by metric name, then by series (the metric's own tag values, "" for none). Two
 * lookups with strings the caller keeps (their hashes are cached) cost less than building
 * one joined key per reading; a scrape observes tens of counters per container.
 */
export class CounterDeltas {
  private readonly readings = new Map<string, Map<string, Reading>>();
  private scrape = 0;
  /** The last observe()'s increase, valid when it returned true. */
  increase = 0;
  /** The last observe()'s rate per second over the time between the two readings. */
  rate = 0;

  /** Starts a scrape; readings not refreshed by the end of it are forgotten by sweep(). */
  begin(): void {
    this.scrape++;
  }

  /**
   * Records a counter's cumulative value. True when there is an increase since the previous
   * reading (in increase and rate); false on first sight (no interval yet) or when no time
   * has passed. Fields instead of a result object: this runs for every counter of every scrape.
   */
  observe(name: string, series: string, value: number, atMs: number): boolean {
    let byName = this.readings.get(name);
    if (byName === undefined) {
      byName = new Map();
      this.readings.set(name, byName);
    }
    const previous = byName.get(series);
    if (previous === undefined) {
      byName.set(series, { value, atMs, scrape: this.scrape });
      return false;
    }
    const elapsedMs = atMs - previous.atMs;
    const increase = value >= previous.value ? value - previous.value : value;
    previous.value = value;
    previous.atMs = atMs;
    previous.scrape = this.scrape;
    if (elapsedMs <= 0) return false;
    this.increase = increase;
    this.rate = increase / (elapsedMs / 1000);
    return true;
  }

  /** Forgets counters not observed in the current scrape (containers and devices gone). */
  sweep(): number {
    let forgotten = 0;
    for (const [name, byName] of this.readings) {
      for (const [series, reading] of byName) {
        if (reading.scrape !== this.scrape) {
          byName.delete(series);
          forgotten++;
        }
      }
      if (byName.size === 0) this.readings.delete(name);
    }
    return forgotten;
  }

  /** Counters tracked. */
  get size(): number {
    let n = 0;
    for (const byName of this.readings.values()) n += byName.size;
    return n;
  }
}
