import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerScrapeMetrics } from '../../agent/pipelines/scrape-metrics.js';
import { ProblemCounts } from '../../agent/sources/shared/problem-counts.js';

describe('scrape self-metrics', () => {
  it('exposes scrapes, overruns, failures, duration, problems by reason and containers', async () => {
    const problems = new ProblemCounts();
    problems.add('cgroup', 'missing');
    problems.add('cgroup', 'missing');
    problems.add('cgroup', 'malformed');
    const registry = new Registry();
    registerScrapeMetrics(registry, [
      {
        scraper: Object.assign(
          { name: 'cgroup', scrape: async () => [], problems },
          { containers: 12, openFiles: 168, watchedDirs: 7, walks: { interval: 3, event: 5 } },
        ),
        loop: { stats: { scrapes: 5, overruns: 1, failures: 0, lastDurationMs: 250 } },
      },
    ]);
    const text = await registry.metrics();
    expect(text).toContain('corral_scrapes_total{source="cgroup"} 5');
    expect(text).toContain('corral_scrape_overruns_total{source="cgroup"} 1');
    expect(text).toContain('corral_scrape_failures_total{source="cgroup"} 0');
    expect(text).toContain('corral_scrape_duration_seconds{source="cgroup"} 0.25');
    expect(text).toContain('corral_scrape_problems_total{source="cgroup",reason="missing"} 2');
    expect(text).toContain('corral_scrape_problems_total{source="cgroup",reason="malformed"} 1');
    expect(text).toContain('corral_cgroup_containers 12');
    expect(text).toContain('corral_cgroup_open_files 168');
    expect(text).toContain('corral_cgroup_watched_dirs 7');
    expect(text).toContain('corral_cgroup_walks_total{trigger="interval"} 3');
    expect(text).toContain('corral_cgroup_walks_total{trigger="event"} 5');
  });
});
