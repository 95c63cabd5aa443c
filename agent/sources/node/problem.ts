import { readFile } from 'node:fs/promises';

/** Why a source file contributed nothing (or less than usual) to a reading. */
export type ProblemReason = 'missing' | 'unreadable' | 'malformed';

export interface NodeProblem {
  /** The file (or, for statfs, the mountpoint) that failed. */
  file: string;
  reason: ProblemReason;
  /** What exactly: the error code or the key that was absent. */
  detail?: string;
}

/** What every reader returns: the values it could read, and what it could not. */
export interface Reading<T> {
  values: T;
  problems: NodeProblem[];
}

/** ENOENT/ENOTDIR mean the kernel lacks the file (or the fixture does); anything else is unreadable. */
export function problemFromError(file: string, error: unknown): NodeProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  return { file, reason, detail: code };
}

/** Reads a whole text file, turning a failure into a problem instead of a throw. */
export async function readText(file: string, problems: NodeProblem[]): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    problems.push(problemFromError(file, error));
    return undefined;
  }
}

/** A non-negative decimal integer, or undefined; Number('') and Number('1e3') are not accepted. */
export function parseCount(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}
