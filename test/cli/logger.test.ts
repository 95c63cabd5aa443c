import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log/logger.js';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines at or above the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', format: 'json', destination: out.stream });
    logger.info('hidden');
    logger.warn({ port: 8125 }, 'shown');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, port: 8125, msg: 'shown' });
  });

  it('auto is JSON when stderr is not a terminal', () => {
    const out = capture();
    createLogger({ level: 'info', format: 'auto', isTTY: false, destination: out.stream }).info('hello');
    expect(JSON.parse(out.text())).toMatchObject({ msg: 'hello' });
  });

  it.each([
    ['pretty', false],
    ['auto', true],
  ] as const)('%s (tty: %s) writes human-readable lines synchronously', (format, isTTY) => {
    const out = capture();
    createLogger({ level: 'info', format, isTTY, destination: out.stream }).info({ port: 8125 }, 'hello');
    // Written before info() returns: nothing is lost when the process exits right after.
    expect(out.text()).toMatch(/INFO.*: hello\n\s+port: 8125\n/);
  });

  it('silent logs nothing', () => {
    const out = capture();
    createLogger({ level: 'silent', format: 'json', destination: out.stream }).fatal('nothing');
    expect(out.text()).toBe('');
  });
});
