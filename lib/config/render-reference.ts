/**
 * `npm run docs:config`: rewrites the configuration reference block in README.md (run from the
 * package root). Creates a placeholder README when there is none.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { configReference, REFERENCE_END, REFERENCE_START, replaceReference } from './reference.js';

const path = 'README.md';
const before = existsSync(path)
  ? readFileSync(path, 'utf8')
  : `# corral\n\n${REFERENCE_START}\n${REFERENCE_END}\n`;
try {
  const after = replaceReference(before, configReference());
  if (after !== before) writeFileSync(path, after);
  process.stderr.write(
    `${path}: configuration reference ${after === before ? 'already up to date' : 'updated'}\n`,
  );
} catch (err) {
  process.stderr.write(`${path}: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
