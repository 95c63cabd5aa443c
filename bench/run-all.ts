/**
 * `npm run bench`: every component benchmark (the `bench:*` scripts of package.json, in their
 * order there, each command after the build), then the end-to-end benchmark (bench/e2e/run.ts)
 * with the StatsD benchmark's document for its ratio against Etsy's server.
 *
 * Progress, and each component's JSON documents as they come, go to stderr; one JSON document
 * with everything goes to stdout at the end (`npm run -s bench > bench.json`).
 *   --only statsd,cgroup,kafka,collector,e2e   a subset, in that order
 *   --quick    passed to the StatsD and end-to-end benchmarks (short runs)
 *   --out FILE also write the document to FILE
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './shared/machine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const only = option('--only')?.split(',');
const outFile = option('--out');

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** The JSON documents printed one after another on a stream (pretty-printed or not). */
export function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          docs.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // Not JSON after all (a bracket in a log line): skipped.
        }
      }
    }
  }
  return docs;
}

interface CommandRun {
  command: string;
  exitCode: number | null;
  seconds: number;
  documents: unknown[];
}

/** Runs a shell command in the repository, stderr passed through, stdout collected. */
function run(command: string): Promise<CommandRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('close', (code) => {
      const documents = jsonDocuments(out);
      for (const doc of documents) process.stderr.write(`${JSON.stringify(doc, null, 2)}\n`);
      resolve({
        command,
        exitCode: code,
        seconds: Math.round((performance.now() - started) / 1000),
        documents,
      });
    });
  });
}

/** The commands of a bench:* script after its build step ("npm run build && a && b" -> [a, b]). */
function commandsOf(script: string): string[] {
  return script
    .split('&&')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== 'npm run build');
}

async function main() {
  const started = performance.now();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const order = ['statsd', 'cgroup', 'kafka', 'collector'];
  const components = Object.keys(pkg.scripts)
    .filter((name) => name.startsWith('bench:'))
    .map((name) => name.slice('bench:'.length))
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .filter((name) => only === undefined || only.includes(name));
  const tmp = mkdtempSync(join(tmpdir(), 'corral-bench-'));
  const results: Record<string, CommandRun[]> = {};
  const failed: string[] = [];
  const loadAtStart = loadavg().map((n) => Number(n.toFixed(2)));
  try {
    for (const name of components) {
      results[name] = [];
      for (let command of commandsOf(pkg.scripts[`bench:${name}`]!)) {
        if (quick && name === 'statsd') command += ' --quick';
        progress(`bench:${name}: ${command}`);
        const result = await run(command);
        results[name].push(result);
        progress(`bench:${name}: ${command} exited ${result.exitCode} after ${result.seconds} s`);
        if (result.exitCode !== 0) failed.push(`bench:${name}: ${command}`);
      }
    }
    let e2e: CommandRun | undefined;
    if (only === undefined || only.includes('e2e')) {
      const statsdDoc = results.statsd?.[0]?.documents[0];
      const args = quick ? ['--quick'] : [];
      if (statsdDoc !== undefined) {
        const file = join(tmp, 'statsd.json');
        writeFileSync(file, JSON.stringify(statsdDoc));
        args.push('--statsd-json', file);
      }
      const command = ['node', 'dist/bench/e2e/run.js', ...args].join(' ');
      progress(`e2e: ${command}`);
      e2e = await run(command);
      progress(`e2e: exited ${e2e.exitCode} after ${e2e.seconds} s`);
      if (e2e.exitCode !== 0) failed.push('e2e');
    }
    const document = {
      benchmark: 'npm run bench: component benchmarks, then end to end',
      date: new Date().toISOString(),
      quick,
      machine: machineInfo(loadAtStart),
      seconds: Math.round((performance.now() - started) / 1000),
      failed,
      components: Object.fromEntries(
        Object.entries(results).map(([name, runs]) => [
          `bench:${name}`,
          runs.map(({ command, exitCode, seconds, documents }) => ({
            command,
            exitCode,
            seconds,
            documents,
          })),
        ]),
      ),
      e2e:
        e2e === undefined
          ? null
          : { exitCode: e2e.exitCode, seconds: e2e.seconds, document: e2e.documents[0] ?? null },
    };
    const json = `${JSON.stringify(document, null, 2)}\n`;
    process.stdout.write(json);
    if (outFile !== undefined) writeFileSync(outFile, json);
    progress(`done in ${document.seconds} s${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`);
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
