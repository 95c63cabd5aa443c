/** Reads a segment file's frames in order, in chunks, so memory and loop time per step stay bounded. */
import type { FileHandle } from 'node:fs/promises';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { CHECKSUM_SLICE_BYTES } from './checksum.js';
import { type CorruptReason, FRAME_HEADER_BYTES, frameCrc, parseRecord, readFrameHeader } from './frame.js';
import type { SpoolRecord } from './types.js';

/** Large enough to amortise a thread-pool round trip per read. */
export const READ_CHUNK_BYTES = 1 << 20;

export type FrameItem =
  | { kind: 'frame'; offset: number; end: number; record: SpoolRecord }
  /**
   * The frame at offset is damaged or cut short and reading stops there: frames have no resync
   * marker to read on from (recover.ts salvages past it at open, with the whole segment in hand).
   */
  | { kind: 'corrupt'; offset: number; reason: CorruptReason | 'truncated' };

/** Reads up to `length` bytes at `position`; shorter only where the file ends. */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * The frames between `from` and `end` (a frame boundary and the segment's known size). Stops
 * after yielding a 'corrupt' item. A frame larger than a chunk is read whole, in one buffer.
 */
export async function* readFrames(
  handle: FileHandle,
  from: number,
  end: number,
  chunkBytes = READ_CHUNK_BYTES,
): AsyncGenerator<FrameItem, void, undefined> {
  let offset = from;
  let readBytes = chunkBytes;
  while (offset < end) {
    const requested = Math.min(readBytes, end - offset);
    const chunk = await readAt(handle, offset, requested);
    // Shorter than asked means the file was cut behind our back: what's missing is lost.
    const fileEndsEarly = chunk.length < requested;
    readBytes = chunkBytes;
    // Checksumming a chunk of small frames in one go would hold the loop for ~0.4 ms per MiB.
    let checkedSinceTurn = 0;
    let at = 0;
    while (at < chunk.length) {
      const header = readFrameHeader(chunk, at);
      if (header.kind === 'corrupt') {
        yield { kind: 'corrupt', offset: offset + at, reason: header.reason };
        return;
      }
      if (header.kind === 'partial') {
        if (offset + at + (header.frameBytes ?? FRAME_HEADER_BYTES) > end || fileEndsEarly) {
          yield { kind: 'corrupt', offset: offset + at, reason: 'truncated' };
          return;
        }
        // The frame continues past this chunk: read again from its start, all of it at once.
        if (at === 0 && header.frameBytes !== undefined) readBytes = header.frameBytes;
        break;
      }
      if (checkedSinceTurn >= CHECKSUM_SLICE_BYTES) {
        checkedSinceTurn = 0;
        await nextLoopTurn();
      }
      checkedSinceTurn += header.frameBytes;
      const checksumMatches = (await frameCrc(chunk, at, header.frameBytes)) === header.crc;
      const record = checksumMatches ? parseRecord(chunk, at, header.frameBytes) : undefined;
      if (record === undefined) {
        yield { kind: 'corrupt', offset: offset + at, reason: checksumMatches ? 'layout' : 'crc' };
        return;
      }
      yield { kind: 'frame', offset: offset + at, end: offset + at + header.frameBytes, record };
      at += header.frameBytes;
    }
    if (chunk.length === 0) {
      yield { kind: 'corrupt', offset, reason: 'truncated' };
      return;
    }
    offset += at;
  }
}
