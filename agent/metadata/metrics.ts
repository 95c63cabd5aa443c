import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerRegistry } from './registry.js';
import type { MetadataService } from './service.js';

/** Self-metrics of the metadata service, read from its plain counters at scrape time. */
export function registerMetadataMetrics(
  registry: Registry,
  service: MetadataService,
  containers: ContainerRegistry,
): void {
  const provider = service.provider;
  const byReason = (
    name: string,
    help: string,
    counts: () => ReadonlyMap<string, number>,
    label = 'reason',
  ) =>
    new Counter({
      name,
      help,
      labelNames: ['provider', label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, count] of counts()) this.inc({ provider, [label]: key }, count);
      },
    });
  new Counter({
    name: 'corral_metadata_refreshes_total',
    help: 'Successful metadata refreshes.',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ provider }, service.stats.refreshes);
    },
  });
  byReason(
    'corral_metadata_errors_total',
    'Failed metadata refreshes and event stream errors, by reason (connect, timeout, auth, http_status, malformed, too_large).',
    () => service.stats.errors,
  );
  byReason(
    'corral_metadata_skipped_total',
    'Containers and tasks a provider could not map and left out, by reason.',
    () => service.stats.skipped,
  );
  byReason(
    'corral_task_events_total',
    'Task state transitions emitted, by state.',
    () => service.stats.events,
    'state',
  );
  new Gauge({
    name: 'corral_metadata_containers',
    help: 'Containers the metadata registry knows.',
    registers: [registry],
    collect() {
      this.set(containers.size);
    },
  });
  new Gauge({
    name: 'corral_metadata_last_success_timestamp_seconds',
    help: 'When metadata was last refreshed successfully (0: never).',
    registers: [registry],
    collect() {
      this.set(service.stats.lastSuccessMs / 1000);
    },
  });
}
