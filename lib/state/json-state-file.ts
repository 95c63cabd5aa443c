import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a state file held: its parsed JSON, nothing (first start), or why it was set aside. */
export interface LoadedState {
  data?: unknown;
  problem?: string;
}

/**
 * Reads a small JSON state file the agent keeps across restarts. A torn or edited file must
 * not stop the agent: it is moved aside to `<file>.corrupt` and the caller starts afresh.
 */
export function loadJsonState(file: string, what: string): LoadedState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {}; // first start
  }
  try {
    return { data: JSON.parse(text) as unknown };
  } catch {
    const aside = `${file}.corrupt`;
    renameSync(file, aside);
    return { problem: `${what} file ${file} was not JSON; moved to ${aside}` };
  }
}

/** Writes the state through a temp file and a rename, so a crash never leaves half a file. */
export function saveJsonState(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(data));
  renameSync(temp, file);
}
