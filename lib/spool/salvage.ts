/**
 * Salvage of a damaged segment at open: keeps every frame that checks out and skips only the
 * damaged bytes between them, so bit rot in one record costs that record and no other.
 *
 * Frames carry no resync marker, but a whole frame is self-checking (magic, a sane length, a
 * CRC-32 over header and payload, a payload layout that parses): after a damaged frame the
 * next frame is found by trying every later offset holding the magic byte until a whole frame
 * checks out there. Mistaking damaged bytes for a frame would take a 1-in-2^32 CRC-32 collision
 * on top of a plausible header and layout, or a record whose value itself carries a whole,
 * valid spool frame (an Avro batch does not).
 */
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { CHECKSUM_SLICE_BYTES } from './checksum.js';
import { type CorruptReason, FRAME_MAGIC, frameCrc, parseRecord, readFrameHeader } from './frame.js';

export type DamageReason = CorruptReason | 'truncated';

/** Bytes skipped between two good frames, or between a good frame and the end of the segment. */
export interface DamagedRegion {
  /** Byte offset in the buffer salvaged. */
  offset: number;
  /** Exact: from the damaged frame to the next frame that checks out (or the end). */
  bytes: number;
  /**
   * Records the region held. Exact when the frame headers in it lead from its start to exactly
   * its end (one hop per record, so one per damaged frame); otherwise the boundaries are lost
   * and it is 1, a lower bound.
   */
  records: number;
  exact: boolean;
  /** What is wrong with the region's first frame; 'truncated' for one cut short at the end (a torn write). */
  reason: DamageReason;
}

/** Bytes [start, end) of good frames back to back. */
export interface FrameRun {
  start: number;
  end: number;
}

export interface SalvageResult {
  /** The good frames from `from` on, in runs between damaged regions: the salvaged segment is these concatenated. */
  runs: FrameRun[];
  /** Good frames in the runs. */
  records: number;
  damaged: DamagedRegion[];
}

type FrameCheck = { kind: 'frame'; frameBytes: number } | { kind: 'bad'; reason: DamageReason };

/** Yields to the event loop about every CHECKSUM_SLICE_BYTES of checking, as the frame reader does. */
class Pacer {
  #done = 0;

  async step(bytes: number): Promise<void> {
    this.#done += bytes;
    if (this.#done < CHECKSUM_SLICE_BYTES) return;
    this.#done = 0;
    await nextLoopTurn();
  }
}

/** Whether a whole good frame starts at `at` (the checks the frame reader makes, in its order). */
async function checkFrame(buffer: Buffer, at: number, pacer: Pacer): Promise<FrameCheck> {
  const header = readFrameHeader(buffer, at);
  if (header.kind === 'corrupt') return { kind: 'bad', reason: header.reason };
  if (header.kind === 'partial') return { kind: 'bad', reason: 'truncated' };
  await pacer.step(header.frameBytes);
  if ((await frameCrc(buffer, at, header.frameBytes)) !== header.crc) return { kind: 'bad', reason: 'crc' };
  if (parseRecord(buffer, at, header.frameBytes) === undefined) return { kind: 'bad', reason: 'layout' };
  return { kind: 'frame', frameBytes: header.frameBytes };
}

/**
 * The first offset from `from` on where a whole good frame starts; buffer.length if none does.
 * Only offsets holding the magic byte can start one. A false match (damaged bytes taken for a
 * frame) needs a plausible length and layout and then a CRC-32 collision, 1 in 2^32.
 */
async function findNextFrame(buffer: Buffer, from: number, pacer: Pacer): Promise<number> {
  for (let at = buffer.indexOf(FRAME_MAGIC, from); at !== -1; at = buffer.indexOf(FRAME_MAGIC, at + 1)) {
    const header = readFrameHeader(buffer, at);
    await pacer.step(16);
    // The layout is cheap to check and rules out nearly every chance magic byte before its CRC is computed.
    if (header.kind !== 'header' || parseRecord(buffer, at, header.frameBytes) === undefined) continue;
    if ((await checkFrame(buffer, at, pacer)).kind === 'frame') return at;
  }
  return buffer.length;
}

/**
 * How many records [start, end) held: follows the length fields of the frame headers there. If
 * they lead from start to exactly end, those were the frames (damaged, but with intact
 * headers); if not, a header is damaged too and the boundaries are lost: at least 1. (A damaged
 * length that happens to lead exactly to the end through another plausible header would be
 * taken at its word; that needs the damage to produce that very value.)
 */
function countRecords(buffer: Buffer, start: number, end: number): { records: number; exact: boolean } {
  const region = buffer.subarray(0, end);
  let records = 0;
  for (let at = start; at < end; records++) {
    const header = readFrameHeader(region, at);
    if (header.kind !== 'header') return { records: 1, exact: false };
    at += header.frameBytes;
  }
  return { records, exact: true };
}

/**
 * The good frames and the damaged regions of `buffer` from `from` (a frame boundary) to its
 * end. Reads nothing but the buffer; yields to the event loop between slices of checksumming.
 */
export async function salvageFrames(buffer: Buffer, from: number): Promise<SalvageResult> {
  const end = buffer.length;
  const pacer = new Pacer();
  const runs: FrameRun[] = [];
  const damaged: DamagedRegion[] = [];
  let records = 0;
  let runStart = from;
  let at = from;
  while (at < end) {
    const check = await checkFrame(buffer, at, pacer);
    if (check.kind === 'frame') {
      at += check.frameBytes;
      records++;
      continue;
    }
    if (at > runStart) runs.push({ start: runStart, end: at });
    // Searched from the next byte on, not trusted to be where the damaged frame's length says:
    // that length may be the damaged part, and jumping by it could skip good frames. With an
    // intact header the search finds the next frame exactly there (countRecords then says 1).
    const next = await findNextFrame(buffer, at + 1, pacer);
    // Running past the end although a good frame follows: its length field is what's damaged.
    const reason = check.reason === 'truncated' && next < end ? 'length' : check.reason;
    damaged.push({ offset: at, bytes: next - at, ...countRecords(buffer, at, next), reason });
    at = runStart = next;
  }
  if (at > runStart) runs.push({ start: runStart, end: at });
  return { runs, records, damaged };
}
