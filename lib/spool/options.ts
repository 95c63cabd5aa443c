/** Checks the spool's options once, at open, so the hot path can trust them. */
import type { DropReason, FsyncPolicy, SpoolLogger, SpoolOptions } from './types.js';

export const DEFAULT_FSYNC_INTERVAL_MS = 1000;

export interface SpoolSettings {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  onDrop: (reason: DropReason, records: number, bytes: number) => void;
  logger: SpoolLogger | undefined;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`spool: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function spoolSettings(options: SpoolOptions): SpoolSettings {
  if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError('spool: dir is required');
  const maxBytes = positiveInteger('maxBytes', options.maxBytes);
  const segmentBytes = positiveInteger('segmentBytes', options.segmentBytes);
  // The segment being written is never dropped to make room, so it must fit on its own.
  if (segmentBytes > maxBytes) throw new RangeError('spool: segmentBytes must not exceed maxBytes');
  if (!['always', 'interval', 'never'].includes(options.fsync)) {
    throw new RangeError(
      `spool: fsync must be 'always', 'interval' or 'never', got ${String(options.fsync)}`,
    );
  }
  return {
    dir: options.dir,
    maxBytes,
    segmentBytes,
    fsync: options.fsync,
    fsyncIntervalMs: positiveInteger('fsyncIntervalMs', options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS),
    onDrop: options.onDrop ?? (() => {}),
    logger: options.logger,
  };
}
