import { describe, expect, it } from 'vitest';
import { MetadataError } from '../../../agent/metadata/provider.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
} from '../../../agent/metadata/providers/docker/api.js';
import { InspectCache } from '../../../agent/metadata/providers/docker/inspect-cache.js';
import { inspectFixture } from './fixtures.js';

// In-process: the inspect function is a fake whose calls the test settles one by one, so how many
// are pending at any moment is exact, with no server in between.

interface PendingInspect {
  id: string;
  signal: AbortSignal;
  resolve: (inspect: DockerContainerInspect | undefined) => void;
  reject: (error: unknown) => void;
}

function fakeInspect(): {
  pending: PendingInspect[];
  calls: string[];
  inspect: (id: string, signal: AbortSignal) => Promise<DockerContainerInspect | undefined>;
} {
  const pending: PendingInspect[] = [];
  const calls: string[] = [];
  const inspect = (id: string, signal: AbortSignal) =>
    new Promise<DockerContainerInspect | undefined>((resolve, reject) => {
      calls.push(id);
      pending.push({ id, signal, resolve, reject });
    });
  return { pending, calls, inspect };
}

const ids = Array.from({ length: 20 }, (_, index) => index.toString(16).padStart(64, 'a'));
const running = (id: string): DockerContainerSummary => ({ Id: id, State: 'running' });
const documentFor = (id: string): DockerContainerInspect => ({ ...inspectFixture('redis-cache'), Id: id });

/** Lets every promise chain that can move on do so. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InspectCache', () => {
  it('has at most 8 inspects pending, and returns documents in list order whatever order they come in', async () => {
    const fake = fakeInspect();
    const cache = new InspectCache(fake.inspect);
    const refreshed = cache.refresh(ids.map(running), new AbortController().signal);
    let mostPending = fake.pending.length;
    expect(mostPending).toBe(8);
    while (fake.pending.length > 0) {
      // Answer the newest first, so completion order differs from list order.
      const newest = fake.pending.pop() as PendingInspect;
      newest.resolve(documentFor(newest.id));
      await settle();
      mostPending = Math.max(mostPending, fake.pending.length);
    }
    expect(mostPending).toBe(8);
    expect((await refreshed).map((inspect) => inspect.Id)).toEqual(ids);
    expect(fake.calls.toSorted()).toEqual(ids.toSorted());
    expect(cache.size).toBe(20);
  });

  it('stops at the first failure: aborts the others, starts no more, rejects with that error', async () => {
    const fake = fakeInspect();
    const cache = new InspectCache(fake.inspect);
    const refreshed = cache.refresh(ids.map(running), new AbortController().signal);
    const failure = new MetadataError('http_status', 'answered 500');
    fake.pending[2]?.reject(failure);
    await expect(refreshed).rejects.toBe(failure);
    expect(fake.pending.filter((call) => call.signal.aborted)).toHaveLength(8);
    expect(fake.calls).toHaveLength(8);
  });

  it('rejects with timeout when the fetch is aborted between two inspects', async () => {
    const fake = fakeInspect();
    const cache = new InspectCache(fake.inspect, 1);
    const controller = new AbortController();
    const refreshed = cache.refresh(ids.slice(0, 3).map(running), controller.signal);
    controller.abort();
    fake.pending[0]?.resolve(documentFor(ids[0] as string));
    const error = await refreshed.catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(MetadataError);
    expect((error as MetadataError).reason).toBe('timeout');
    expect(fake.calls).toEqual([ids[0]]);
  });

  it('does not keep a document fetched while its container was forgotten', async () => {
    const fake = fakeInspect();
    const cache = new InspectCache(fake.inspect);
    const [id] = ids as [string];
    const first = cache.refresh([running(id)], new AbortController().signal);
    // An event about the container arrives while its inspect is under way.
    cache.forget(id);
    fake.pending.pop()?.resolve(documentFor(id));
    expect((await first).map((inspect) => inspect.Id)).toEqual([id]);
    expect(cache.size).toBe(0);

    const second = cache.refresh([running(id)], new AbortController().signal);
    fake.pending.pop()?.resolve(documentFor(id));
    await second;
    expect(fake.calls).toEqual([id, id]);
    expect(cache.size).toBe(1);
    await cache.refresh([running(id)], new AbortController().signal);
    expect(fake.calls).toEqual([id, id]);
  });
});
