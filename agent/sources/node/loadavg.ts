import { join } from 'node:path';
import type { NodeProblem, Reading } from './problem.js';
import { readText } from './problem.js';

export interface LoadavgValues {
  load1?: number;
  load5?: number;
  load15?: number;
  /** Runnable scheduling entities (threads) now. */
  running?: number;
  /** All scheduling entities (threads, not only processes). */
  total?: number;
}

const LOADAVG = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\/(\d+) \d+\s*$/;

/** Parses `0.25 0.20 0.18 2/345 12345`; the last field (the newest pid) is not kept. */
export function parseLoadavg(text: string, file: string): Reading<LoadavgValues> {
  const match = LOADAVG.exec(text);
  if (match === null) return { values: {}, problems: [{ file, reason: 'malformed' }] };
  const [load1, load5, load15, running, total] = match.slice(1).map(Number);
  return { values: { load1, load5, load15, running, total }, problems: [] };
}

export async function readLoadavg(procRoot = '/proc'): Promise<Reading<LoadavgValues>> {
  const file = join(procRoot, 'loadavg');
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  return text === undefined ? { values: {}, problems } : parseLoadavg(text, file);
}
