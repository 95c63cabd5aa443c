/**
 * The replay cursor: everything before (segment, offset) has been delivered. One small file,
 * replaced atomically (write a temporary file, rename it over), with its own checksum so a
 * damaged cursor is recognised instead of trusted:
 *
 *   0   4  "CSPC"
 *   4   1  version 1
 *   5   8  segment sequence, uint64 BE
 *   13  8  byte offset in that segment, uint64 BE
 *   21  4  CRC-32 of bytes 0..20
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from './segment-files.js';

export const CURSOR_FILE = 'cursor';
export const CURSOR_TEMP_FILE = 'cursor.tmp';
const MAGIC = 'CSPC';
const VERSION = 1;
const CURSOR_BYTES = 25;

export interface Cursor {
  segment: number;
  offset: number;
}

export type CursorReadResult =
  | { kind: 'missing' }
  | { kind: 'ok'; cursor: Cursor }
  | { kind: 'corrupt'; reason: string };

export function encodeCursor(cursor: Cursor): Buffer {
  const buffer = Buffer.alloc(CURSOR_BYTES);
  buffer.write(MAGIC, 0, 'latin1');
  buffer[4] = VERSION;
  buffer.writeBigUInt64BE(BigInt(cursor.segment), 5);
  buffer.writeBigUInt64BE(BigInt(cursor.offset), 13);
  buffer.writeUInt32BE(crc32(buffer.subarray(0, 21)) >>> 0, 21);
  return buffer;
}

export function decodeCursor(buffer: Buffer): CursorReadResult {
  if (buffer.length !== CURSOR_BYTES) return { kind: 'corrupt', reason: `${buffer.length} bytes` };
  if (buffer.toString('latin1', 0, 4) !== MAGIC || buffer[4] !== VERSION) {
    return { kind: 'corrupt', reason: 'bad magic or version' };
  }
  if (crc32(buffer.subarray(0, 21)) >>> 0 !== buffer.readUInt32BE(21))
    return { kind: 'corrupt', reason: 'bad CRC' };
  const segment = Number(buffer.readBigUInt64BE(5));
  const offset = Number(buffer.readBigUInt64BE(13));
  if (!Number.isSafeInteger(segment) || !Number.isSafeInteger(offset)) {
    return { kind: 'corrupt', reason: 'out of range' };
  }
  return { kind: 'ok', cursor: { segment, offset } };
}

export async function readCursor(dir: string): Promise<CursorReadResult> {
  try {
    return decodeCursor(await readFile(join(dir, CURSOR_FILE)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    // Unreadable (EIO, a directory in its place...): replaying from the start is safe, crashing is not.
    return { kind: 'corrupt', reason: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/**
 * Replaces the cursor atomically: a crash leaves the old cursor or the new one, never a mix.
 * `durable` also fsyncs the file and the directory so the new cursor survives power loss.
 */
export async function writeCursor(dir: string, cursor: Cursor, durable: boolean): Promise<void> {
  const temp = join(dir, CURSOR_TEMP_FILE);
  if (durable) {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(encodeCursor(cursor));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } else {
    await writeFile(temp, encodeCursor(cursor));
  }
  await rename(temp, join(dir, CURSOR_FILE));
  if (durable) await fsyncDir(dir);
}
