import { FileSet, type Reading, type V1Dirs } from './files.js';
import { lineEnd, lineField, parseUint, tokenEnd } from './scan.js';

/** Block I/O of one device, cumulative. */
export interface IoDevice {
  /** "major:minor" as the kernel prints it ("8:0"). */
  device: string;
  /** Bytes read. */
  readBytes?: number;
  /** Bytes written. */
  writeBytes?: number;
  /** Read operations (count). */
  readOps?: number;
  /** Write operations (count). */
  writeOps?: number;
}

/** Block I/O of one cgroup: totals over its devices, and each device. */
export interface IoStats {
  /** Bytes read, all devices. */
  readBytes?: number;
  /** Bytes written, all devices. */
  writeBytes?: number;
  /** Read operations, all devices (count). */
  readOps?: number;
  /** Write operations, all devices (count). */
  writeOps?: number;
  /** In the kernel's order; a stacked device (dm, md) is listed with its disks, as cAdvisor does. */
  devices: IoDevice[];
  /** v1 only: the throttle files, or the CFQ recursive files when the throttle ones were empty. */
  source?: 'throttle' | 'recursive';
}

function emptyIo(): IoStats {
  return {
    readBytes: undefined,
    writeBytes: undefined,
    readOps: undefined,
    writeOps: undefined,
    devices: [],
    source: undefined,
  };
}

function newDevice(device: string): IoDevice {
  return { device, readBytes: undefined, writeBytes: undefined, readOps: undefined, writeOps: undefined };
}

/** Zero when absent: the kernel leaves out fields of a device that has only other stats. */
function orZero(v: number | undefined): number {
  return v === undefined ? 0 : v;
}

/** A "major:minor" token. */
function isDevice(text: string, start: number, end: number): boolean {
  const colon = text.indexOf(':', start);
  return colon > start && colon < end - 1;
}

/** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", one line per device. */
function parseIoStat(text: string, s: IoStats): boolean {
  let pos = 0;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    if (end > pos) {
      const devEnd = tokenEnd(text, pos, end);
      const d = newDevice(text.slice(pos, devEnd));
      d.readBytes = orZero(lineField(text, 'rbytes=', devEnd, end));
      d.writeBytes = orZero(lineField(text, 'wbytes=', devEnd, end));
      d.readOps = orZero(lineField(text, 'rios=', devEnd, end));
      d.writeOps = orZero(lineField(text, 'wios=', devEnd, end));
      if (
        Number.isNaN(d.readBytes) ||
        Number.isNaN(d.writeBytes) ||
        Number.isNaN(d.readOps) ||
        Number.isNaN(d.writeOps) ||
        !isDevice(text, pos, devEnd)
      ) {
        return false;
      }
      s.devices.push(d);
    }
    pos = end + 1;
  }
  return true;
}

function sumDevices(s: IoStats, bytes: boolean, ops: boolean): void {
  let rb = 0;
  let wb = 0;
  let ro = 0;
  let wo = 0;
  for (const d of s.devices) {
    rb += orZero(d.readBytes);
    wb += orZero(d.writeBytes);
    ro += orZero(d.readOps);
    wo += orZero(d.writeOps);
  }
  if (bytes) {
    s.readBytes = rb;
    s.writeBytes = wb;
  }
  if (ops) {
    s.readOps = ro;
    s.writeOps = wo;
  }
}

export function ioV2(files: FileSet, dir: string): IoStats {
  const s = emptyIo();
  const text = files.read(dir, 'io.stat');
  if (text === undefined) return s;
  if (parseIoStat(text, s)) {
    sumDevices(s, true, true);
  } else {
    s.devices.length = 0;
    files.malformed('io.stat');
  }
  return s;
}

/**
 * A v1 blkio file: "8:0 Read 123", "8:0 Write 456", also Sync, Async, Discard and Total per
 * device, and a last "Total 579". Fills read and write of bytes or ops into s.devices; returns
 * how many Read/Write lines it found, or -1 when the file is malformed.
 */
function parseBlkio(text: string, s: IoStats, bytes: boolean): number {
  let found = 0;
  let pos = 0;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    const devEnd = tokenEnd(text, pos, end);
    if (end > pos && !isDevice(text, pos, devEnd) && !text.startsWith('Total ', pos)) return -1;
    const opStart = devEnd + 1;
    const read = text.startsWith('Read ', opStart);
    if (read || text.startsWith('Write ', opStart)) {
      const v = parseUint(text, opStart + (read ? 5 : 6), end);
      if (Number.isNaN(v)) return -1;
      let d: IoDevice | undefined;
      for (const e of s.devices) {
        if (e.device.length === devEnd - pos && text.startsWith(e.device, pos)) {
          d = e;
          break;
        }
      }
      if (d === undefined) {
        d = newDevice(text.slice(pos, devEnd));
        s.devices.push(d);
      }
      if (bytes) {
        if (read) d.readBytes = v;
        else d.writeBytes = v;
      } else if (read) d.readOps = v;
      else d.writeOps = v;
      found++;
    }
    pos = end + 1;
  }
  return found;
}

/** Parses a bytes and an ops file into s; false fields mark a file that could not be used. */
function blkioPair(
  files: FileSet,
  s: IoStats,
  names: readonly [string, string],
  bytesText: string | undefined,
  opsText: string | undefined,
): { bytes: boolean; ops: boolean; found: number } {
  let found = 0;
  let bytes = false;
  let ops = false;
  if (bytesText !== undefined) {
    const n = parseBlkio(bytesText, s, true);
    if (n < 0) files.malformed(names[0]);
    else {
      bytes = true;
      found += n;
    }
  }
  if (opsText !== undefined) {
    const n = parseBlkio(opsText, s, false);
    if (n < 0) files.malformed(names[1]);
    else {
      ops = true;
      found += n;
    }
  }
  // A half-parsed malformed file leaves values behind: drop them.
  if (!bytes || !ops) {
    for (const d of s.devices) {
      if (!bytes) d.readBytes = d.writeBytes = undefined;
      if (!ops) d.readOps = d.writeOps = undefined;
    }
  }
  return { bytes, ops, found };
}

const THROTTLE = ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'] as const;
const RECURSIVE = ['blkio.io_service_bytes_recursive', 'blkio.io_serviced_recursive'] as const;

export function ioV1(files: FileSet, dirs: V1Dirs): IoStats {
  const s = emptyIo();
  const dir = dirs.blkio;
  if (dir === undefined) return s;
  const bytesText = files.read(dir, THROTTLE[0]);
  const opsText = files.read(dir, THROTTLE[1]);
  let pair = blkioPair(files, s, THROTTLE, bytesText, opsText);
  s.source = 'throttle';
  // The throttle files count only I/O that went through blk-throttle; with CFQ and no limits
  // they can stay empty while the scheduler's recursive files have the numbers (as cAdvisor).
  if (pair.found === 0 && pair.bytes && pair.ops) {
    const rBytes = files.read(dir, RECURSIVE[0], true);
    const rOps = files.read(dir, RECURSIVE[1], true);
    if (rBytes !== undefined || rOps !== undefined) {
      const fallback = emptyIo();
      const rPair = blkioPair(files, fallback, RECURSIVE, rBytes, rOps);
      if (rPair.found > 0) {
        s.devices = fallback.devices;
        s.source = 'recursive';
        pair = rPair;
      }
    }
  }
  sumDevices(s, pair.bytes, pair.ops);
  return s;
}

/** Block I/O of a v2 cgroup: io.stat. */
export function readIoV2(dir: string): Reading<IoStats> {
  const files = new FileSet();
  return files.finish(ioV2(files, dir));
}

/** Block I/O of a v1 cgroup: the blkio throttle files, or the recursive CFQ ones when those are empty. */
export function readIoV1(dirs: V1Dirs): Reading<IoStats> {
  const files = new FileSet();
  return files.finish(ioV1(files, dirs));
}
