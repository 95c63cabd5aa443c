/** Segment file names and the file-system chores around them. */
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT_NAME = /^(\d{16})\.seg$/;
/** A segment being rewritten at open (see recover.ts), renamed over the segment once on disk. */
const SALVAGE_SUFFIX = '.salvage';
const SALVAGE_NAME = /^\d{16}\.seg\.salvage$/;

/** Zero-padded so that name order is sequence order for anyone listing the directory. */
export function segmentFileName(sequence: number): string {
  return `${String(sequence).padStart(16, '0')}.seg`;
}

export function segmentPath(dir: string, sequence: number): string {
  return join(dir, segmentFileName(sequence));
}

/** Sequences of the segment files in dir, oldest first; other files are not ours and are left alone. */
export async function listSegments(dir: string): Promise<number[]> {
  const sequences: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match?.[1] !== undefined) sequences.push(Number(match[1]));
  }
  return sequences.sort((a, b) => a - b);
}

export function salvagePath(segmentPath: string): string {
  return `${segmentPath}${SALVAGE_SUFFIX}`;
}

/** Deletes salvage files a crash left behind (their segments are still the originals). */
export async function removeSalvageLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (SALVAGE_NAME.test(name)) await unlinkIfPresent(join(dir, name));
  }
}

/** Makes a created, renamed or removed directory entry survive power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Writes all of buffers at position: a regular file can still take fewer bytes than asked (a full disk). */
export async function writeAllAt(
  handle: FileHandle,
  buffers: readonly Buffer[],
  position: number,
): Promise<void> {
  let pending = buffers.filter((buffer) => buffer.length > 0);
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    if (bytesWritten === 0) throw new Error('spool: write made no progress');
    at += bytesWritten;
    pending = skipBytes(pending, bytesWritten);
  }
}

function skipBytes(buffers: readonly Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = count;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
