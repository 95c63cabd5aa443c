/**
 * CRC-32 over large buffers without holding the event loop: zlib's crc32 runs at about
 * 2-3 GB/s, so a 1 MiB value costs ~0.4 ms of loop time in one piece. Checksumming it in
 * slices lets timers and sockets run in between; the total cost is the same.
 */
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';

/** About 50 µs of checksumming: a slice never delays other work on the loop by more. */
export const CHECKSUM_SLICE_BYTES = 128 * 1024;

export function crc32Of(data: Buffer, initial = 0): number {
  return crc32(data, initial) >>> 0;
}

export async function crc32Sliced(data: Buffer, initial = 0): Promise<number> {
  if (data.length <= CHECKSUM_SLICE_BYTES) return crc32Of(data, initial);
  let crc = initial;
  for (let at = 0; at < data.length; at += CHECKSUM_SLICE_BYTES) {
    if (at > 0) await nextLoopTurn();
    crc = crc32(data.subarray(at, at + CHECKSUM_SLICE_BYTES), crc);
  }
  return crc >>> 0;
}
