import { readdir } from 'node:fs/promises';
import { type NodeProblem, problemFromError, type Reading } from './problem.js';

export interface ProcessValues {
  /** Processes (thread group leaders) alive now. */
  processes?: number;
}

/**
 * Counts the numeric directories of procRoot: one per process, as ps sees them. The
 * loadavg "total" field would be cheaper but counts every thread, which is not what
 * node.processes should mean. A process that exits mid-listing is at worst off by one.
 */
export async function countProcesses(procRoot = '/proc'): Promise<Reading<ProcessValues>> {
  const problems: NodeProblem[] = [];
  try {
    const entries = await readdir(procRoot, { withFileTypes: true });
    let processes = 0;
    for (const entry of entries) if (entry.isDirectory() && /^\d+$/.test(entry.name)) processes++;
    return { values: { processes }, problems };
  } catch (error) {
    problems.push(problemFromError(procRoot, error));
    return { values: {}, problems };
  }
}
