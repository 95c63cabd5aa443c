import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../agent/metadata/providers/docker/backoff.js';
import { EVENTS_PATH, EventInterpreter } from '../../../agent/metadata/providers/docker/events.js';
import { LineSplitter } from '../../../agent/metadata/providers/docker/line-splitter.js';
import { EVENT_LINES, EXPECTED_EVENT_OUTCOMES, ID } from './fixtures.js';

/** A die event as Docker writes it; timeNano goes in as text, its 19 digits being past a double's. */
function dieEvent(exitCode: string | undefined, extra: Record<string, unknown> = {}): string {
  const attributes: Record<string, string> = { image: 'alpine:3.21', name: 'probe' };
  if (exitCode !== undefined) attributes.exitCode = exitCode;
  const event = { Type: 'container', Action: 'die', Actor: { ID: ID.redis, Attributes: attributes } };
  const times = { time: 1741950000, timeNano: '<timeNano>', ...extra };
  return JSON.stringify({ ...event, ...times }).replace('"<timeNano>"', '1741950000123456789');
}

describe('EVENTS_PATH', () => {
  it('asks for container start, die, oom and destroy only', () => {
    expect(EVENTS_PATH).toBe(
      '/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%2C%22die%22%2C%22oom%22%2C%22destroy%22%5D%7D',
    );
    expect(JSON.parse(decodeURIComponent(EVENTS_PATH.slice('/events?filters='.length)))).toEqual({
      type: ['container'],
      event: ['start', 'die', 'oom', 'destroy'],
    });
  });
});

describe('EventInterpreter', () => {
  it('reads the fixture events: oom then die is an OOM kill, not a plain 137', () => {
    const interpreter = new EventInterpreter();
    expect(EVENT_LINES.map((line) => interpreter.interpret(line))).toEqual(EXPECTED_EVENT_OUTCOMES);
  });

  it('forgets an oom once the container starts again', () => {
    const interpreter = new EventInterpreter();
    interpreter.interpret(EVENT_LINES[0] as string);
    const start = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: ID.worker } });
    expect(interpreter.interpret(start)).toEqual({ kind: 'changed', containerId: ID.worker });
    const die = JSON.stringify({
      Type: 'container',
      Action: 'die',
      Actor: { ID: ID.worker, Attributes: { exitCode: '137', name: 'shop-worker-1' } },
      timeNano: 1741950000000000000,
    });
    expect(interpreter.interpret(die)).toEqual({
      kind: 'observe',
      containerId: ID.worker,
      observation: {
        key: ID.worker,
        state: 'killed',
        sinceMs: 1741950000000,
        exitCode: 137,
        dimensions: { task_id: ID.worker, task_name: 'shop-worker-1', container_id: ID.worker },
      },
    });
  });

  it.each([
    ['0', 'finished'],
    ['1', 'failed'],
    ['137', 'killed'],
    ['143', 'killed'],
    ['-1', 'failed'],
  ])('die with exitCode %s: %s', (exitCode, state) => {
    expect(new EventInterpreter().interpret(dieEvent(exitCode))).toEqual({
      kind: 'observe',
      containerId: ID.redis,
      observation: {
        key: ID.redis,
        state,
        sinceMs: 1741950000123,
        exitCode: Number(exitCode),
        dimensions: { task_id: ID.redis, task_name: 'probe', container_id: ID.redis },
      },
    });
  });

  it('falls back to time (seconds) without timeNano, and to no time without either', () => {
    const interpreter = new EventInterpreter();
    const secondsOnly = interpreter.interpret(dieEvent('0', { timeNano: undefined }));
    expect(secondsOnly.kind === 'observe' && secondsOnly.observation.sinceMs).toBe(1741950000000);
    const timeless = interpreter.interpret(dieEvent('0', { time: undefined, timeNano: undefined }));
    expect(timeless).toEqual({
      kind: 'observe',
      containerId: ID.redis,
      observation: {
        key: ID.redis,
        state: 'finished',
        exitCode: 0,
        dimensions: { task_id: ID.redis, task_name: 'probe', container_id: ID.redis },
      },
    });
  });

  it.each([
    ['not JSON', '{"Type":"container","Action":"die"'],
    ['not an object', '[1,2,3]'],
    ['no Actor', '{"Type":"container","Action":"start"}'],
    ['an Actor without ID', '{"Type":"container","Action":"start","Actor":{"Attributes":{}}}'],
    ['a numeric attribute', '{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"n":1}}}'],
    ['a die without exitCode', dieEvent(undefined)],
    ['a die with a non-numeric exitCode', dieEvent('killed')],
  ])('malformed: %s', (_what, line) => {
    expect(new EventInterpreter().interpret(line)).toEqual({ kind: 'malformed' });
  });

  it('ignores other types and actions', () => {
    const interpreter = new EventInterpreter();
    expect(interpreter.interpret('{"Type":"network","Action":"connect","Actor":{"ID":"n1"}}')).toEqual({
      kind: 'ignored',
    });
    expect(interpreter.interpret('{"Type":"container","Action":"pause","Actor":{"ID":"c1"}}')).toEqual({
      kind: 'ignored',
    });
  });
});

describe('LineSplitter', () => {
  function splitter(max = 100): { lines: LineSplitter; tooLong: () => number } {
    let count = 0;
    return { lines: new LineSplitter(max, () => count++), tooLong: () => count };
  }

  it('joins a line split across chunks and separates several in one chunk', () => {
    const { lines } = splitter();
    expect(lines.push('{"a":')).toEqual([]);
    expect(lines.push('1}\n{"b":2}\n{"c"')).toEqual(['{"a":1}', '{"b":2}']);
    expect(lines.push('')).toEqual([]);
    expect(lines.push(':3}\n\n')).toEqual(['{"c":3}', '']);
  });

  it('drops a line over the cap, whether it ends in this chunk or later, and goes on', () => {
    const { lines, tooLong } = splitter(5);
    expect(lines.push('123456\nok\n')).toEqual(['ok']);
    expect(tooLong()).toBe(1);
    expect(lines.push('1234')).toEqual([]);
    expect(lines.push('5678')).toEqual([]);
    expect(tooLong()).toBe(2);
    expect(lines.push('9999')).toEqual([]);
    expect(lines.push('rest\nnext\n')).toEqual(['next']);
    expect(tooLong()).toBe(2);
  });
});

describe('Backoff', () => {
  it('doubles from min to max and starts over once reset', () => {
    const backoff = new Backoff(500, 30_000);
    const delays = Array.from({ length: 9 }, () => backoff.next());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    backoff.reset();
    expect([backoff.next(), backoff.next()]).toEqual([500, 1000]);
  });

  it('refuses a min below 1 ms or a max below min', () => {
    expect(() => new Backoff(0, 10)).toThrow(RangeError);
    expect(() => new Backoff(100, 50)).toThrow(RangeError);
  });
});
