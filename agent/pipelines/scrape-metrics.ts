import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProblemCounts } from '../sources/shared/problem-counts.js';
import type { Scraper, ScrapeStats } from './scrape-loop.js';

interface RunningScrape {
  scraper: Scraper & { problems?: ProblemCounts };
  loop: { stats: ScrapeStats };
}

/** Self-metrics of the scraped sources, read from their plain counters when scraped. */
export function registerScrapeMetrics(registry: Registry, scrapes: RunningScrape[]): void {
  const perSource = (
    name: string,
    help: string,
    value: (s: RunningScrape) => number,
    type: 'counter' | 'gauge',
  ) => {
    const Metric = type === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of scrapes) {
          if (this instanceof Counter) this.inc({ source: s.scraper.name }, value(s));
          else this.set({ source: s.scraper.name }, value(s));
        }
      },
    });
  };
  perSource('corral_scrapes_total', 'Scrapes completed, by source.', (s) => s.loop.stats.scrapes, 'counter');
  perSource(
    'corral_scrape_overruns_total',
    'Scrape intervals skipped because the previous scrape was still running.',
    (s) => s.loop.stats.overruns,
    'counter',
  );
  perSource(
    'corral_scrape_failures_total',
    'Scrapes that failed as a whole.',
    (s) => s.loop.stats.failures,
    'counter',
  );
  perSource(
    'corral_scrape_duration_seconds',
    'Wall time of the last scrape.',
    (s) => s.loop.stats.lastDurationMs / 1000,
    'gauge',
  );
  new Gauge({
    name: 'corral_cgroup_containers',
    help: 'Containers the cgroup source found in its last scrape.',
    registers: [registry],
    collect() {
      let containers = 0;
      for (const s of scrapes) if ('containers' in s.scraper) containers += Number(s.scraper.containers);
      this.set(containers);
    },
  });
  new Counter({
    name: 'corral_scrape_problems_total',
    help: 'Metrics a scrape could not read, by source and reason (missing, unreadable, malformed).',
    labelNames: ['source', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of scrapes) {
        for (const { source, reason, count } of s.scraper.problems?.counts.values() ?? []) {
          this.inc({ source, reason }, count);
        }
      }
    },
  });
}
