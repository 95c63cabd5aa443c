/**
 * Rebuilds the spool's state from disk at open: which segments remain, how many records each
 * holds past the cursor, and what a crash or bit rot damaged (salvaged around, see salvage.ts).
 */
import { copyFile, open, rename, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Cursor } from './cursor.js';
import { readAt, readFrames } from './frame-reader.js';
import { type DamagedRegion, salvageFrames } from './salvage.js';
import type { Segment } from './segment.js';
import {
  fsyncDir,
  listSegments,
  removeSalvageLeftovers,
  salvagePath,
  segmentPath,
  unlinkIfPresent,
  writeAllAt,
} from './segment-files.js';

/** A damaged region of a segment as it was on disk, skipped at open; the records there are lost. */
export interface DamagedBytes extends DamagedRegion {
  sequence: number;
}

export interface RecoveredState {
  /** Oldest first, each with at least one unacknowledged record. */
  segments: Segment[];
  /** Higher than any sequence on disk or in the cursor, so a new segment is never mistaken for an acknowledged one. */
  nextSequence: number;
  /** Regions skipped because they could not be read, oldest first. */
  damaged: DamagedBytes[];
}

interface ScanResult {
  records: number;
  /** Where the first frame that does not check out starts. */
  damagedAt: number | undefined;
}

async function scanSegment(path: string, from: number, size: number): Promise<ScanResult> {
  const handle = await open(path, 'r');
  try {
    let records = 0;
    for await (const item of readFrames(handle, from, size)) {
      if (item.kind === 'corrupt') return { records, damagedAt: item.offset };
      records++;
    }
    return { records, damagedAt: undefined };
  } finally {
    await handle.close();
  }
}

interface Salvaged {
  records: number;
  size: number;
  damaged: DamagedRegion[];
}

/**
 * Keeps every good frame from `damagedAt` (the first bad one) to the end of the segment and
 * drops the damaged bytes between them, so the next open finds a clean segment and counts
 * nothing again. Everything before `damagedAt`, the cursor's offset included, stays as it was.
 */
async function salvageSegment(path: string, damagedAt: number, size: number): Promise<Salvaged> {
  const handle = await open(path, 'r');
  let rest: Buffer;
  try {
    // Segments are bounded (a frame larger than segmentBytes is alone in its own): read at once.
    rest = await readAt(handle, damagedAt, size - damagedAt);
  } finally {
    await handle.close();
  }
  const salvage = await salvageFrames(rest, 0);
  const damaged = salvage.damaged.map((region) => ({ ...region, offset: damagedAt + region.offset }));
  const keptBytes = salvage.runs.reduce((sum, run) => sum + run.end - run.start, 0);
  if (keptBytes === 0) {
    // Nothing good after the damage (a torn write, a damaged last frame): cut it off in place.
    await truncate(path, damagedAt);
    return { records: 0, size: damagedAt, damaged };
  }
  // Good frames move up over the damaged bytes: rewrite the file and rename it into place, so a
  // crash leaves either the damaged segment (salvaged again at the next open) or the salvaged one.
  const temp = salvagePath(path);
  await copyFile(path, temp);
  const out = await open(temp, 'r+');
  try {
    const runs = salvage.runs.map((run) => rest.subarray(run.start, run.end));
    await writeAllAt(out, runs, damagedAt);
    await out.truncate(damagedAt + keptBytes);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(temp, path);
  await fsyncDir(dirname(path));
  return { records: salvage.records, size: damagedAt + keptBytes, damaged };
}

/** `cursor` undefined replays every segment on disk (no cursor yet, or an unreadable one). */
export async function recoverSegments(dir: string, cursor: Cursor | undefined): Promise<RecoveredState> {
  // A salvage interrupted by a crash: its segment is still the original, salvaged again below.
  await removeSalvageLeftovers(dir);
  const sequences = await listSegments(dir);
  const segments: Segment[] = [];
  const damaged: DamagedBytes[] = [];
  for (const sequence of sequences) {
    const path = segmentPath(dir, sequence);
    // Acknowledged already: the process stopped between writing the cursor and deleting these.
    if (cursor !== undefined && sequence < cursor.segment) {
      await unlinkIfPresent(path);
      continue;
    }
    const from = cursor !== undefined && sequence === cursor.segment ? cursor.offset : 0;
    let size = (await stat(path)).size;
    if (from < size) {
      const scan = await scanSegment(path, from, size);
      let records = scan.records;
      if (scan.damagedAt !== undefined) {
        const salvaged = await salvageSegment(path, scan.damagedAt, size);
        records += salvaged.records;
        size = salvaged.size;
        for (const region of salvaged.damaged) damaged.push({ sequence, ...region });
      }
      if (records > 0) {
        segments.push({
          sequence,
          path,
          size,
          records,
          ackedOffset: from,
          ackedRecords: 0,
          handle: undefined,
        });
        continue;
      }
    }
    // Empty, fully acknowledged, or nothing readable left.
    await unlinkIfPresent(path);
  }
  const highest = Math.max(-1, cursor?.segment ?? -1, ...sequences);
  return { segments, nextSequence: highest + 1, damaged };
}
