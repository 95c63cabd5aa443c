/**
 * Fills the MetadataEnricher from the container_metadata table: at start (the metadata topic
 * is compacted and read from the committed offsets, so most containers are known only from
 * the table) and every minute (containers learned by other collectors of the group).
 */

import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { DIMENSION_KEYS, type Dimensions } from '../../../lib/model/dimensions.js';
import type { Storage } from '../../storage/storage.js';
import type { MetadataEnricher } from './metadata-enricher.js';

export const METADATA_RELOAD_MS = 60_000;

type MetadataRow = Record<(typeof DIMENSION_KEYS)[number], string> & { labels: Record<string, string> };

/** The latest row of every container still listed (a removal, or its tombstone, ranks last). */
const LISTED_CONTAINERS = `SELECT ${DIMENSION_KEYS.join(', ')}, labels
FROM container_metadata FINAL
WHERE removed = 0`;

function dimensionsOf(row: MetadataRow): Readonly<Dimensions> {
  const dimensions: Dimensions = {};
  for (const key of DIMENSION_KEYS) if (row[key] !== '') dimensions[key] = row[key];
  if (Object.keys(row.labels).length > 0) dimensions.labels = Object.freeze(row.labels);
  return Object.freeze(dimensions);
}

/** Loads every listed container into the enricher; returns how many. */
export async function loadContainerMetadata(storage: Storage, enricher: MetadataEnricher): Promise<number> {
  const rows = await storage.query<MetadataRow>(LISTED_CONTAINERS);
  enricher.load(rows.map((row) => [row.container_id, dimensionsOf(row)] as const));
  return rows.length;
}

/** Reloads every `intervalMs` until stopped; a failed load is logged and tried at the next. */
export function reloadContainerMetadata(
  storage: Storage,
  enricher: MetadataEnricher,
  log: RateLimitedLog,
  intervalMs = METADATA_RELOAD_MS,
): { stop(): void } {
  const timer = setInterval(() => {
    loadContainerMetadata(storage, enricher).catch((error: unknown) =>
      log.warn('metadata_reload_failed', { err: error }, 'container_metadata reload failed'),
    );
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
