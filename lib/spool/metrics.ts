/** The spool's self-metrics, summed over the spools a process has (one, or one per topic of the in-process log). */
import { Counter, type Registry } from 'prom-client';
import { collectedGauge } from '../metrics/collected.js';
import type { DropReason, SpoolStats } from './types.js';

const REASONS: readonly DropReason[] = ['full', 'corrupt'];

export function registerSpoolMetrics(registry: Registry, stats: () => readonly SpoolStats[]): void {
  const sum = (pick: (s: SpoolStats) => number) => stats().reduce((total, s) => total + pick(s), 0);
  collectedGauge(registry, 'corral_spool_bytes', 'Bytes of the spool segment files on disk.', () =>
    sum((s) => s.bytes),
  );
  collectedGauge(registry, 'corral_spool_records', 'Records spooled and not yet delivered.', () =>
    sum((s) => s.records),
  );
  const droppedCounter = (name: string, help: string, pick: (s: SpoolStats, reason: DropReason) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const reason of REASONS)
          this.inc(
            { reason },
            sum((s) => pick(s, reason)),
          );
      },
    });
  droppedCounter(
    'corral_spool_dropped_records_total',
    'Spooled records lost: full (the oldest segment made room) or corrupt (unreadable on disk).',
    (s, reason) => s.dropped[reason],
  );
  droppedCounter(
    'corral_spool_dropped_bytes_total',
    'Bytes of spooled records lost (framing included), by the same reasons as the records.',
    (s, reason) => s.droppedBytes[reason],
  );
}
