import { join } from 'node:path';
import { type NodeProblem, type Reading, readText } from './problem.js';

export interface UptimeValues {
  /** Seconds since boot (the first field; the second, idle time summed over cores, is not kept). */
  uptime?: number;
}

const UPTIME = /^(\d+\.\d+) \d+\.\d+\s*$/;

export function parseUptime(text: string, file: string): Reading<UptimeValues> {
  const match = UPTIME.exec(text);
  if (match === null) return { values: {}, problems: [{ file, reason: 'malformed' }] };
  return { values: { uptime: Number(match[1]) }, problems: [] };
}

export async function readUptime(procRoot = '/proc'): Promise<Reading<UptimeValues>> {
  const file = join(procRoot, 'uptime');
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  return text === undefined ? { values: {}, problems } : parseUptime(text, file);
}
