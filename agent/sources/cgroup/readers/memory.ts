import { FileSet, type Reading, type V1Dirs } from './files.js';
import { Key, lineEnd, readKeyed, singleUint } from './scan.js';

/** Memory of one cgroup: bytes now, and cumulative event counts. */
export interface MemoryStats {
  /** Memory charged to the cgroup, page cache included, bytes. */
  usage?: number;
  /** usage minus inactive file pages (what the kernel cannot reclaim cheaply), floored at 0, bytes. */
  workingSet?: number;
  /** Anonymous memory (heap, stacks; v1 "rss"), bytes. */
  anon?: number;
  /** Page cache (v1 "cache"), bytes. */
  file?: number;
  /** Page cache mapped into processes (mmap), bytes. */
  mappedFile?: number;
  /** Swap used, bytes. */
  swap?: number;
  /** Memory limit, bytes; undefined when there is none. */
  limit?: number;
  /** Times the cgroup hit its limit (v2 oom events; v1 memory.failcnt, which counts every charge failure). */
  oomEvents?: number;
  /** Processes killed by the OOM killer in the cgroup (count). */
  oomKills?: number;
}

/** v1 writes "no limit" as a page-rounded 2^63 - 1; anything this large means none. */
const V1_NO_LIMIT = 2 ** 62;

// The first key is the file's anchor: always there, so its absence means the file is garbage.
const V2_STAT = [new Key('inactive_file'), new Key('anon'), new Key('file'), new Key('file_mapped')];
const V1_STAT = [
  new Key('total_inactive_file'),
  new Key('total_rss'),
  new Key('total_cache'),
  new Key('total_mapped_file'),
];
const V2_EVENTS = [new Key('oom'), new Key('oom_kill')];
// oom_kill appeared in Linux 4.13; older kernels print only the first two keys.
const V1_OOM = [new Key('under_oom'), new Key('oom_kill')];

const values: (number | undefined)[] = [];

function emptyMemory(): MemoryStats {
  return {
    usage: undefined,
    workingSet: undefined,
    anon: undefined,
    file: undefined,
    mappedFile: undefined,
    swap: undefined,
    limit: undefined,
    oomEvents: undefined,
    oomKills: undefined,
  };
}

/** A single-number file; NaN is reported as malformed. */
function single(files: FileSet, name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = singleUint(text);
  if (!Number.isNaN(n)) return n;
  files.malformed(name);
  return undefined;
}

/** Parses memory.stat (v1 or v2 key set) into s; returns inactive_file for the working set. */
function stat(files: FileSet, keys: readonly Key[], text: string | undefined, s: MemoryStats) {
  if (text === undefined) return undefined;
  if (!readKeyed(text, keys, keys.length, values)) {
    files.malformed('memory.stat');
    return undefined;
  }
  s.anon = values[1];
  s.file = values[2];
  s.mappedFile = values[3];
  return values[0];
}

function workingSet(usage: number | undefined, inactiveFile: number | undefined): number | undefined {
  if (usage === undefined || inactiveFile === undefined) return undefined;
  return usage > inactiveFile ? usage - inactiveFile : 0;
}

export function memoryV2(files: FileSet, dir: string): MemoryStats {
  const s = emptyMemory();
  const current = files.read(dir, 'memory.current');
  const statText = files.read(dir, 'memory.stat');
  // Absent without swap accounting.
  const swap = files.read(dir, 'memory.swap.current', true);
  const max = files.read(dir, 'memory.max');
  const events = files.read(dir, 'memory.events');
  s.usage = single(files, 'memory.current', current);
  s.workingSet = workingSet(s.usage, stat(files, V2_STAT, statText, s));
  s.swap = single(files, 'memory.swap.current', swap);
  if (max !== undefined && !(lineEnd(max, 0) === 3 && max.startsWith('max'))) {
    s.limit = single(files, 'memory.max', max);
  }
  if (events !== undefined) {
    if (readKeyed(events, V2_EVENTS, 2, values)) {
      s.oomEvents = values[0];
      s.oomKills = values[1];
    } else {
      files.malformed('memory.events');
    }
  }
  return s;
}

export function memoryV1(files: FileSet, dirs: V1Dirs): MemoryStats {
  const s = emptyMemory();
  const dir = dirs.memory;
  if (dir === undefined) return s;
  const usage = files.read(dir, 'memory.usage_in_bytes');
  const statText = files.read(dir, 'memory.stat');
  // Memory plus swap; absent unless the kernel runs with swapaccount=1.
  const memsw = files.read(dir, 'memory.memsw.usage_in_bytes', true);
  const limit = files.read(dir, 'memory.limit_in_bytes');
  const oom = files.read(dir, 'memory.oom_control');
  const failcnt = files.read(dir, 'memory.failcnt');
  s.usage = single(files, 'memory.usage_in_bytes', usage);
  s.workingSet = workingSet(s.usage, stat(files, V1_STAT, statText, s));
  const withSwap = single(files, 'memory.memsw.usage_in_bytes', memsw);
  // Read a moment apart from usage, so the difference can dip below zero.
  if (withSwap !== undefined && s.usage !== undefined) s.swap = withSwap > s.usage ? withSwap - s.usage : 0;
  const bytes = single(files, 'memory.limit_in_bytes', limit);
  if (bytes !== undefined && bytes < V1_NO_LIMIT) s.limit = bytes;
  if (oom !== undefined) {
    if (readKeyed(oom, V1_OOM, 1, values)) s.oomKills = values[1];
    else files.malformed('memory.oom_control');
  }
  s.oomEvents = single(files, 'memory.failcnt', failcnt);
  return s;
}

/** Memory of a v2 cgroup: memory.current, memory.stat, memory.swap.current, memory.max, memory.events. */
export function readMemoryV2(dir: string): Reading<MemoryStats> {
  const files = new FileSet();
  return files.finish(memoryV2(files, dir));
}

/** Memory of a v1 cgroup, all from its memory hierarchy directory. */
export function readMemoryV1(dirs: V1Dirs): Reading<MemoryStats> {
  const files = new FileSet();
  return files.finish(memoryV1(files, dirs));
}
