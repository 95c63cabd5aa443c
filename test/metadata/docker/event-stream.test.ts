import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MetadataError,
  type ProviderEventHandlers,
  type TaskObservation,
} from '../../../agent/metadata/provider.js';
import { createDockerProvider } from '../../../agent/metadata/providers/docker/index.js';
import { FakeDocker, Waiters } from './fake-docker.js';
import { EVENT_LINES, EXPECTED_EVENT_OUTCOMES, EXPECTED_SNAPSHOT, ID } from './fixtures.js';

// The fake daemon writes into real /events responses; every wait is on a handler call or a
// request the daemon saw, never on a sleep.

type HandlerCall =
  | { kind: 'observe'; task: TaskObservation }
  | { kind: 'changed' }
  | { kind: 'error'; reason: string };

/** Records handler calls in order and lets a test await a number of them. */
class HandlerLog implements ProviderEventHandlers {
  readonly calls: HandlerCall[] = [];
  readonly errors: MetadataError[] = [];
  private readonly waiters = new Waiters();

  observe = (task: TaskObservation): void => this.record({ kind: 'observe', task });
  changed = (): void => this.record({ kind: 'changed' });
  error = (error: MetadataError): void => {
    this.errors.push(error);
    this.record({ kind: 'error', reason: error.reason });
  };

  /** Resolves once there have been count calls in all. */
  calledTimes(count: number): Promise<void> {
    return this.waiters.until(
      () => this.calls.length >= count,
      `${count} handler calls (have ${JSON.stringify(this.calls)})`,
    );
  }

  private record(call: HandlerCall): void {
    this.calls.push(call);
    this.waiters.notify();
  }
}

/** What the handlers must see for the fixture's events, in order. */
const EXPECTED_FIXTURE_CALLS: HandlerCall[] = EXPECTED_EVENT_OUTCOMES.map((outcome) =>
  outcome.kind === 'observe' ? { kind: 'observe', task: outcome.observation } : { kind: 'changed' },
);

const FIXTURE_STREAM = `${EVENT_LINES.join('\n')}\n`;

let docker: FakeDocker;
let skipped: string[];
let stopWatching: (() => void) | undefined;

beforeEach(async () => {
  docker = await FakeDocker.start();
  skipped = [];
});

afterEach(async () => {
  stopWatching?.();
  stopWatching = undefined;
  vi.useRealTimers();
  await docker.close();
});

function watch(handlers: HandlerLog, reconnectMs = { min: 10, max: 40 }): () => void {
  const provider = createDockerProvider({
    endpoint: docker.endpoint,
    settings: { timeoutMs: 5000 },
    onSkipped: (reason) => skipped.push(reason),
    reconnectMs,
  });
  stopWatching = provider.watch?.(handlers);
  if (stopWatching === undefined) throw new Error('the docker provider has no watch()');
  return stopWatching;
}

describe('the event stream', () => {
  it('requests the filtered events path', async () => {
    watch(new HandlerLog());
    await docker.eventStream(0);
    expect(docker.requests).toEqual([
      '/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%2C%22die%22%2C%22oom%22%2C%22destroy%22%5D%7D',
    ]);
  });

  it('reassembles events split mid-object and separates several per write', async () => {
    const log = new HandlerLog();
    watch(log);
    const { response } = await docker.eventStream(0);
    // Cut inside the first event, then inside the fourth and in the middle of the sixth.
    const cuts = [57, FIXTURE_STREAM.indexOf(ID.web) + 10, FIXTURE_STREAM.length - 400];
    const pieces = [0, ...cuts, FIXTURE_STREAM.length].slice(1).map((end, index, ends) => {
      const start = index === 0 ? 0 : (ends[index - 1] as number);
      return FIXTURE_STREAM.slice(start, end);
    });
    const [firstPiece, secondPiece, thirdPiece, lastPiece] = pieces as [string, string, string, string];
    expect(pieces.join('')).toBe(FIXTURE_STREAM);

    // The later writes wait for the calls the one before completes, so the cuts inside the fourth
    // and sixth events are chunk boundaries for certain; the first two writes may merge or not.
    response.write(firstPiece);
    response.write(secondPiece);
    await log.calledTimes(3); // oom, die, destroy: the start of shop-web-1 is still cut off
    expect(log.calls).toEqual(EXPECTED_FIXTURE_CALLS.slice(0, 3));
    response.write(thirdPiece);
    await log.calledTimes(5);
    expect(log.calls).toEqual(EXPECTED_FIXTURE_CALLS.slice(0, 5));
    response.write(lastPiece);
    await log.calledTimes(6);
    expect(log.calls).toEqual(EXPECTED_FIXTURE_CALLS);
    expect(skipped).toEqual([]);
  });

  it('skips a malformed line, counts it, and goes on', async () => {
    const log = new HandlerLog();
    watch(log);
    const { response } = await docker.eventStream(0);
    const [oom, die] = EVENT_LINES as [string, string];
    response.write(`${oom}\n{"Type":"container","Action":"die","Actor":\n${die}\n`);
    await log.calledTimes(2);
    expect(log.calls).toEqual(EXPECTED_FIXTURE_CALLS.slice(0, 2));
    expect(skipped).toEqual(['malformed_event']);
  });

  it('makes the next fetch inspect a container an event was seen for', async () => {
    const provider = createDockerProvider({ endpoint: docker.endpoint, settings: { timeoutMs: 5000 } });
    const signal = new AbortController().signal;
    await provider.fetch(signal);
    const log = new HandlerLog();
    stopWatching = provider.watch?.(log);
    const { response } = await docker.eventStream(0);
    response.write(`${EVENT_LINES[5]}\n`); // batch-import died (again)
    await log.calledTimes(1);
    const inspectsBefore = docker.count('/containers/');
    expect(await provider.fetch(signal)).toEqual(EXPECTED_SNAPSHOT);
    // The list, and the one container the event was about; the list's State did not change.
    expect(docker.count('/containers/') - inspectsBefore).toBe(2);
    expect(docker.count(`/containers/${ID.batch}/json`)).toBe(2);
  });

  it('reports a stream the daemon ends, reconnects, and asks for a refresh once back', async () => {
    const log = new HandlerLog();
    watch(log);
    const first = await docker.eventStream(0);
    first.response.write(`${EVENT_LINES[3]}\n`); // start of shop-web-1
    await log.calledTimes(1);
    first.response.end();
    const second = await docker.eventStream(1);
    await log.calledTimes(3);
    expect(log.calls).toEqual([
      { kind: 'changed' },
      { kind: 'error', reason: 'connect' },
      { kind: 'changed' },
    ]);
    expect(log.errors[0]).toBeInstanceOf(MetadataError);
    expect(log.errors[0]?.message).toBe('the event stream ended');

    // The new stream works like the first.
    second.response.write(`${EVENT_LINES[4]}\n`);
    await log.calledTimes(4);
    expect(log.calls[3]).toEqual(EXPECTED_FIXTURE_CALLS[4]);
    expect(docker.count('/events')).toBe(2);
  });

  it('keeps retrying, with connect errors, while there is no daemon', async () => {
    const log = new HandlerLog();
    const provider = createDockerProvider({
      endpoint: { socketPath: `${docker.socketPath}.missing` },
      settings: { timeoutMs: 5000 },
      reconnectMs: { min: 1, max: 4 },
    });
    stopWatching = provider.watch?.(log);
    await log.calledTimes(4);
    expect(log.calls.slice(0, 4)).toEqual(
      Array.from({ length: 4 }, () => ({ kind: 'error', reason: 'connect' })),
    );
  });

  it('stop() ends the open stream, quietly, with no reconnect scheduled', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log = new HandlerLog();
    const stop = watch(log);
    const stream = await docker.eventStream(0);
    stop();
    await docker.waiters.until(() => stream.closed, 'the client to close /events');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(log.calls).toEqual([]);
    expect(docker.count('/events')).toBe(1);
  });

  it('stop() during the backoff cancels the reconnect', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log = new HandlerLog();
    const stop = watch(log);
    const stream = await docker.eventStream(0);
    stream.response.end();
    await log.calledTimes(1);
    expect(log.calls).toEqual([{ kind: 'error', reason: 'connect' }]);
    expect(vi.getTimerCount()).toBe(1); // the reconnect, 10 ms away
    stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(log.calls).toEqual([{ kind: 'error', reason: 'connect' }]);
    expect(docker.count('/events')).toBe(1);
  });
});
