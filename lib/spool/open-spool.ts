import type { Logger } from 'pino';
import type { RateLimitedLog } from '../log/rate-limited.js';
import { Spool } from './spool.js';
import type { FsyncPolicy } from './types.js';

/** Spool segments: small enough that dropping the oldest loses little, large enough to be few. */
const SEGMENT_BYTES = 16 * 1024 * 1024;

export interface SpoolSetup {
  dir: string;
  /** kafka.spoolMaxBytes */
  maxBytes: number;
  /** kafka.spoolFsync */
  fsync: FsyncPolicy;
  logger: Logger;
  log: RateLimitedLog;
}

/** Opens a spool as the configuration sizes it, its drops logged at a sane rate. */
export function openSpool(setup: SpoolSetup): Promise<Spool> {
  return Spool.open({
    dir: setup.dir,
    maxBytes: setup.maxBytes,
    segmentBytes: Math.min(SEGMENT_BYTES, Math.floor(setup.maxBytes / 4)),
    fsync: setup.fsync,
    logger: setup.logger.child({ component: 'spool', dir: setup.dir }),
    onDrop: (reason, records) =>
      setup.log.warn(`spool_drop_${reason}`, { reason, records, dir: setup.dir }, 'spooled batches dropped'),
  });
}
