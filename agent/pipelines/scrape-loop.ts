import type { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { AlignedTicker } from './aligned-ticker.js';

/** A source read on an interval (cgroups, /proc), as opposed to one that is pushed to. */
export interface Scraper {
  readonly name: string;
  /** Reads everything once; timeMs stamps the datapoints (the interval boundary). */
  scrape(timeMs: number): Promise<Datapoint[]>;
  /** Releases what the scraper holds between scrapes (kept files, watches). */
  close?(): void;
}

export interface ScrapeStats {
  scrapes: number;
  /** Ticks skipped because the previous scrape was still running. */
  overruns: number;
  failures: number;
  lastDurationMs: number;
}

/**
 * Scrapes at every wall-clock multiple of intervalMs, so resource metrics line up with the
 * StatsD flushes. A scrape still running at the next tick makes that tick skip (counted):
 * a slow filesystem must not pile up concurrent scrapes.
 */
export function startScrapeLoop(
  intervalMs: number,
  scraper: Scraper,
  emit: (batch: Datapoint[]) => void,
  log: RateLimitedLog,
): { stats: ScrapeStats; stop(): Promise<void> } {
  const stats: ScrapeStats = { scrapes: 0, overruns: 0, failures: 0, lastDurationMs: 0 };
  let running: Promise<void> | null = null;
  const ticker = new AlignedTicker(intervalMs, (boundary) => {
    if (running !== null) {
      stats.overruns++;
      log.warn(
        `${scraper.name}_overrun`,
        { source: scraper.name },
        'scrape still running at the next interval',
      );
      return;
    }
    const started = performance.now();
    running = scraper
      .scrape(boundary)
      .then(emit, (error: unknown) => {
        stats.failures++;
        log.error(`${scraper.name}_failed`, { source: scraper.name, err: error }, 'scrape failed');
      })
      .finally(() => {
        stats.scrapes++;
        stats.lastDurationMs = performance.now() - started;
        running = null;
      });
  });
  ticker.start();
  return {
    stats,
    async stop() {
      ticker.stop();
      await running;
    },
  };
}
