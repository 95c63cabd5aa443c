/** `npm run docs:metrics`: rewrites the metric tables in docs/metrics.md (run from the package root). */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceMetricsReference } from './metrics-reference.js';

const path = 'docs/metrics.md';
const before = readFileSync(path, 'utf8');
const after = replaceMetricsReference(before);
if (after !== before) writeFileSync(path, after);
process.stderr.write(`${path}: metric tables ${after === before ? 'already up to date' : 'updated'}\n`);
