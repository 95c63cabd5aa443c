import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE = fileURLToPath(new URL('../fixtures/proc/', import.meta.url)).replace(/\/$/, '');
export const FIXTURE_LATER = join(FIXTURE, 'later');
/** A procRoot with nothing in it. */
export const NOWHERE = join(FIXTURE, 'does-not-exist');

const made: string[] = [];

/** A throwaway procRoot holding the given files; removeProcRoots() deletes them. */
export function procWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'corral-proc-'));
  made.push(root);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

export function removeProcRoots(): void {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
}
