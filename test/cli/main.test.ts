/** main() in-process with fake process I/O: startup, failures and signal handling. */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { RunningAgent } from '../../agent/run.js';
import { main } from '../../lib/cli/main.js';
import type { CorralConfig } from '../../lib/config/schema.js';
import { createLogger } from '../../lib/log/logger.js';

function fakeIO(runAgent: (config: CorralConfig) => Promise<RunningAgent>) {
  const signals = new EventEmitter();
  const stderr: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const exits: number[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const io = {
    env: {},
    cwd: process.cwd(),
    stdout: () => {},
    stderr: (text: string) => stderr.push(text),
    exit: (code: number) => exits.push(code),
    onSignal: (signal: 'SIGINT' | 'SIGTERM', listener: () => void) => signals.on(signal, listener),
    runAgent: (config: CorralConfig) => runAgent(config),
    createLogger: (options: Parameters<typeof createLogger>[0]) =>
      createLogger({ ...options, format: 'json', destination: logStream }),
  };
  return { io, signals, stderr, logs, exits };
}

/** A stop() that resolves when the test says so. */
function controllableStop() {
  let finish!: () => void;
  const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
  return { agent: { stop } as unknown as RunningAgent, stop, finish: () => finish() };
}

describe('main', () => {
  it('starts the agent with the merged configuration', async () => {
    const seen: CorralConfig[] = [];
    const { io, exits } = fakeIO(async (config) => {
      seen.push(config);
      return controllableStop().agent;
    });
    await main(['agent', '--statsd-udp', 'off', '--sink', 'null'], {
      ...io,
      env: { CORRAL_STATSD_FLUSH_INTERVAL: '1s' },
    });
    expect(exits).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.statsd).toMatchObject({ udp: null, flushInterval: 1000 });
    expect(seen[0]!.agent.sink).toBe('null');
  });

  it('stops once on the first signal and exits 0 when stopped', async () => {
    const control = controllableStop();
    const { io, signals, exits, logs } = fakeIO(async () => control.agent);
    await main(['agent'], io);
    signals.emit('SIGTERM');
    expect(control.stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([]);
    control.finish();
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(logs.map((line) => line.msg)).toEqual(['stopping', 'stopped']);
  });

  it('exits 130 at once on a second signal', async () => {
    const control = controllableStop();
    const { io, signals, exits } = fakeIO(async () => control.agent);
    await main(['agent'], io);
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(control.stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([130]);
  });

  it('logs a startup failure and exits 1', async () => {
    const { io, exits, logs } = fakeIO(async () => {
      throw new Error('listen EADDRINUSE: address already in use 127.0.0.1:8125');
    });
    await main(['agent'], io);
    expect(exits).toEqual([1]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 50,
      msg: 'agent failed to start',
      err: { message: /EADDRINUSE/ },
    });
  });

  it('does not start anything on a config error', async () => {
    const runAgent = vi.fn();
    const { io, exits, stderr } = fakeIO(runAgent);
    await main(['agent', '--statsd-max-series', '0'], io);
    expect(runAgent).not.toHaveBeenCalled();
    expect(exits).toEqual([2]);
    expect(stderr).toEqual([
      'corral: config error: statsd.maxSeries: expected an integer >= 1, got "0" (from --statsd-max-series)\n',
    ]);
  });
});
