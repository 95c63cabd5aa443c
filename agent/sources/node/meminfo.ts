import { join } from 'node:path';
import { type NodeProblem, type Reading, readText } from './problem.js';

/** Bytes. */
export interface MeminfoValues {
  total?: number;
  free?: number;
  /** The kernel's estimate of memory available without swapping (since 3.14). */
  available?: number;
  buffers?: number;
  cached?: number;
  swapTotal?: number;
  swapFree?: number;
  /** SwapTotal - SwapFree. */
  swapUsed?: number;
}

const KEYS = [
  ['total', 'MemTotal'],
  ['free', 'MemFree'],
  ['available', 'MemAvailable'],
  ['buffers', 'Buffers'],
  ['cached', 'Cached'],
  ['swapTotal', 'SwapTotal'],
  ['swapFree', 'SwapFree'],
] as const;

/** Parses `MemTotal:       24684084 kB` lines; "kB" there means KiB. */
export function parseMeminfo(text: string, file: string): Reading<MeminfoValues> {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+) kB$/.exec(line);
    if (match !== null) kib.set(match[1]!, Number(match[2]));
  }
  const values: MeminfoValues = {};
  const absent: string[] = [];
  for (const [field, key] of KEYS) {
    const value = kib.get(key);
    if (value === undefined) absent.push(key);
    else values[field] = value * 1024;
  }
  if (values.swapTotal !== undefined && values.swapFree !== undefined) {
    values.swapUsed = values.swapTotal - values.swapFree;
  }
  const problems: NodeProblem[] =
    absent.length > 0 ? [{ file, reason: 'malformed', detail: `missing or bad: ${absent.join(', ')}` }] : [];
  return { values, problems };
}

export async function readMeminfo(procRoot = '/proc'): Promise<Reading<MeminfoValues>> {
  const file = join(procRoot, 'meminfo');
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  return text === undefined ? { values: {}, problems } : parseMeminfo(text, file);
}
