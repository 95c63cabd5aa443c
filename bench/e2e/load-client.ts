/** The parent's side of the load generator (load-generator.ts): fork, set up, run steps. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { FromGenerator, SendReport, ToGenerator } from './load-generator.js';
import type { GroupSpec } from './load-plan.js';

export interface LoadGenerator {
  readonly pid: number;
  readonly pool: Extract<FromGenerator, { type: 'ready' }>;
  run(linesPerSecond: number, seconds: number, markerEveryMs: number, markerSeq: number): Promise<SendReport>;
  stop(): Promise<void>;
}

function next(child: ChildProcess): Promise<FromGenerator> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromGenerator) => {
      cleanup();
      if (message.type === 'error') reject(new Error(`load generator: ${message.message}`));
      else resolve(message);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the load generator exited (${code})`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Forks the generator, which builds its pool and connects to `ports` (the shared port first). */
export async function startLoadGenerator(groups: GroupSpec[], ports: number[]): Promise<LoadGenerator> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no profiling of the load itself
  const child = fork(join(import.meta.dirname, 'load-generator.js'), [], { env, stdio: 'inherit' });
  const send = (message: ToGenerator) => child.send(message);
  const ready = next(child);
  send({ type: 'setup', groups, ports, host: '127.0.0.1' });
  const pool = (await ready) as Extract<FromGenerator, { type: 'ready' }>;
  return {
    pid: child.pid!,
    pool,
    async run(linesPerSecond, seconds, markerEveryMs, markerSeq) {
      const done = next(child);
      send({ type: 'run', linesPerSecond, seconds, markerEveryMs, markerSeq });
      return ((await done) as Extract<FromGenerator, { type: 'done' }>).report;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      send({ type: 'exit' });
      await exited;
    },
  };
}
