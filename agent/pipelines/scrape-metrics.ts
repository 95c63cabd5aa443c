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
  /** A gauge summing one numeric property of the scrapers that have it (the cgroup source's). */
  const cgroupGauge = (name: string, help: string, property: 'containers' | 'watchedDirs' | 'openFiles') =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        let sum = 0;
        for (const s of scrapes)
          if (property in s.scraper) sum += Number(s.scraper[property as keyof Scraper]);
        this.set(sum);
      },
    });
  cgroupGauge(
    'corral_cgroup_containers',
    'Containers the cgroup source found in its last walk.',
    'containers',
  );
  cgroupGauge(
    'corral_cgroup_watched_dirs',
    'cgroup directories watched (inotify) for containers appearing or vanishing.',
    'watchedDirs',
  );
  cgroupGauge(
    'corral_cgroup_open_files',
    'cgroup and /proc files the cgroup source keeps open between scrapes (cgroup.openFiles).',
    'openFiles',
  );
  new Counter({
    name: 'corral_cgroup_walks_total',
    help: 'Walks of the cgroup tree for containers, by trigger: interval (scrapes, the periodic full walk) or event (directories appeared or vanished).',
    labelNames: ['trigger'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of scrapes) {
        if (!('walks' in s.scraper)) continue;
        const walks = s.scraper.walks as { interval: number; event: number };
        this.inc({ trigger: 'interval' }, walks.interval);
        this.inc({ trigger: 'event' }, walks.event);
      }
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
