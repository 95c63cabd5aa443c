import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { RegistryDatapoints } from '../../../lib/metrics/registry-datapoints.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Scraper } from '../../pipelines/scrape-loop.js';

/**
 * The self source: the agent's own Prometheus metrics (the registry /metrics serves), read
 * every interval into datapoints tagged component=agent and host, so they travel and are
 * stored like every other metric (README.md).
 */
export class SelfScraper implements Scraper {
  readonly name = 'self';
  private readonly reader: RegistryDatapoints;

  constructor(registry: Registry, host: string = hostname()) {
    this.reader = new RegistryDatapoints(registry, { tags: { component: 'agent', host } });
  }

  scrape(timeMs: number): Promise<Datapoint[]> {
    return this.reader.read(timeMs);
  }
}
