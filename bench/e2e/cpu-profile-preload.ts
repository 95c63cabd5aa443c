/**
 * Preloaded with `node --import` (NODE_OPTIONS allows --import, not --cpu-prof): profiles the
 * process with V8's sampling profiler from start to exit and writes a .cpuprofile into
 * $BENCH_PROFILE_OUT, as --cpu-prof would. The in-thread inspector session answers
 * synchronously, so the profile is written from the exit handler.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_OUT;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
