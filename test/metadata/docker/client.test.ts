import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestSettings } from '../../../agent/metadata/http-json.js';
import { MetadataError, type MetadataProvider } from '../../../agent/metadata/provider.js';
import type { DockerContainerSummary } from '../../../agent/metadata/providers/docker/api.js';
import {
  createDockerProvider,
  type DockerProviderOptions,
} from '../../../agent/metadata/providers/docker/index.js';
import { FakeDocker, LIST_PATH } from './fake-docker.js';
import {
  CONTAINER_NAMES,
  ENGINE_ID,
  EXPECTED_CONTAINERS,
  EXPECTED_SNAPSHOT,
  EXPECTED_TASKS,
  HOSTNAME,
  ID,
  inspectFixture,
} from './fixtures.js';

const SETTINGS: RequestSettings = { timeoutMs: 5000 };

let docker: FakeDocker;
let skipped: string[];

beforeEach(async () => {
  docker = await FakeDocker.start();
  skipped = [];
});

afterEach(async () => {
  await docker.close();
});

function provider(options: Partial<DockerProviderOptions> = {}): MetadataProvider {
  return createDockerProvider({
    endpoint: docker.endpoint,
    settings: SETTINGS,
    onSkipped: (reason) => skipped.push(reason),
    ...options,
  });
}

function fetchOnce(target: MetadataProvider): ReturnType<MetadataProvider['fetch']> {
  return target.fetch(new AbortController().signal);
}

/** The MetadataError a promise rejects with (fails the test if it resolves or throws anything else). */
async function metadataErrorOf(promise: Promise<unknown>): Promise<MetadataError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(MetadataError);
  return error as MetadataError;
}

function listed(): DockerContainerSummary[] {
  return docker.containers as DockerContainerSummary[];
}

const inspectPathOf = (id: string) => `/containers/${id}/json`;

describe('fetch against a Docker daemon on a unix socket', () => {
  it('reads /info, the list and every container into the exact snapshot', async () => {
    expect(await fetchOnce(provider())).toEqual(EXPECTED_SNAPSHOT);
    expect([...docker.requests].sort()).toEqual(
      ['/info', LIST_PATH, ...Object.values(ID).map(inspectPathOf)].sort(),
    );
    expect(skipped).toEqual([]);
  });

  it('sets cluster_id from the option', async () => {
    const snapshot = await fetchOnce(provider({ clusterId: 'dc1-prod' }));
    expect(snapshot.node).toEqual({ cluster_id: 'dc1-prod', agent_id: ENGINE_ID, hostname: HOSTNAME });
  });

  it('inspects again only containers whose listed State changed, and forgets unlisted ones', async () => {
    const docker_ = provider();
    await fetchOnce(docker_);
    expect(docker.count('/containers/')).toBe(1 + 5);

    // Unchanged list (Status text moving on does not count): no inspect at all.
    const web = listed()[0] as DockerContainerSummary & { Status: string };
    web.Status = 'Up 2 hours (healthy)';
    expect(await fetchOnce(docker_)).toEqual(EXPECTED_SNAPSHOT);
    expect(docker.count('/containers/')).toBe(2 + 5);

    // redis-cache stopped by `docker stop`: only it is inspected again.
    const redisStopped = inspectFixture('redis-cache');
    redisStopped.State = {
      ...redisStopped.State,
      Status: 'exited',
      ExitCode: 143,
      FinishedAt: '2025-03-14T10:00:01.25Z',
    };
    docker.inspects.set(ID.redis, redisStopped);
    (listed()[1] as DockerContainerSummary).State = 'exited';
    // nightly-report removed: gone from the list.
    docker.containers = listed().filter((summary) => summary.Id !== ID.report);
    const requestsBefore = docker.requests.length;
    const snapshot = await fetchOnce(docker_);
    expect(docker.requests.slice(requestsBefore).sort()).toEqual(
      ['/info', LIST_PATH, inspectPathOf(ID.redis)].sort(),
    );
    expect(snapshot.tasks).toEqual([
      EXPECTED_TASKS['shop-web-1'],
      {
        key: ID.redis,
        state: 'killed',
        sinceMs: Date.UTC(2025, 2, 14, 10, 0, 1, 250),
        exitCode: 143,
        dimensions: EXPECTED_CONTAINERS['redis-cache'].dimensions,
      },
      EXPECTED_TASKS['shop-worker-1'],
      EXPECTED_TASKS['batch-import'],
    ]);

    // Listed again later, nightly-report is inspected afresh: its cache entry was dropped.
    docker.containers = [...listed(), { Id: ID.report, State: 'exited' }];
    await fetchOnce(docker_);
    expect(docker.count(inspectPathOf(ID.report))).toBe(2);
  });

  it('skips, silently, a container that vanished between list and inspect (404)', async () => {
    docker.inspects.delete(ID.batch);
    const snapshot = await fetchOnce(provider());
    const others = CONTAINER_NAMES.filter((name) => name !== 'batch-import');
    expect(snapshot).toEqual({
      node: EXPECTED_SNAPSHOT.node,
      containers: others.map((name) => EXPECTED_CONTAINERS[name]),
      tasks: others.map((name) => EXPECTED_TASKS[name]),
    });
    expect(docker.count(inspectPathOf(ID.batch))).toBe(1);
    expect(skipped).toEqual([]);
  });

  it('skips and counts an inspect document of the wrong shape', async () => {
    docker.inspects.set(ID.batch, { Id: ID.batch, Name: '/batch-import', State: 'exited' });
    const snapshot = await fetchOnce(provider());
    expect(snapshot.containers.map((container) => container.containerId)).toEqual([
      ID.web,
      ID.redis,
      ID.worker,
      ID.report,
    ]);
    expect(skipped).toEqual(['malformed_container']);
  });

  it('skips and counts a list element without Id or State', async () => {
    docker.containers = [...listed(), { Names: ['/half-made'] }];
    expect(await fetchOnce(provider())).toEqual(EXPECTED_SNAPSHOT);
    expect(skipped).toEqual(['malformed_container']);
  });

  it('inspects many containers over the socket, 8 at a time', async () => {
    // 20 copies of redis-cache under other ids; the daemon answers one request whenever 8 are
    // waiting (or all that are left). That the client never has more than 8 pending is shown
    // exactly in inspect-cache.test.ts; here, that it does run 8 at once over real connections.
    const ids = Array.from({ length: 20 }, (_, index) => index.toString(16).padStart(64, 'c'));
    docker.containers = ids.map((id) => ({ Id: id, State: 'running' }));
    for (const id of ids) docker.inspects.set(id, { ...inspectFixture('redis-cache'), Id: id });
    const waiting: (() => void)[] = [];
    let answered = 0;
    let mostWaiting = 0;
    docker.inspectGate = (_id, answer) => {
      waiting.push(answer);
      mostWaiting = Math.max(mostWaiting, waiting.length);
      // Once no more can come (the last few), everything waiting is let through.
      while (waiting.length > 0 && waiting.length === Math.min(8, ids.length - answered)) {
        answered++;
        waiting.shift()?.();
      }
    };
    const snapshot = await fetchOnce(provider());
    expect(snapshot.containers.map((container) => container.containerId)).toEqual(ids);
    expect(mostWaiting).toBe(8);
    expect(answered).toBe(20);
  });

  it('fails the whole fetch when an inspect fails otherwise than 404 (no partial snapshot)', async () => {
    docker.override = (path) =>
      path === inspectPathOf(ID.worker)
        ? { status: 500, body: '{"message":"context deadline exceeded"}' }
        : undefined;
    const error = await metadataErrorOf(fetchOnce(provider()));
    expect(error.reason).toBe('http_status');
  });
});

describe('fetch failures', () => {
  it('500 on the list: http_status', async () => {
    docker.override = (path) =>
      path === LIST_PATH ? { status: 500, body: '{"message":"boom"}' } : undefined;
    const error = await metadataErrorOf(fetchOnce(provider()));
    expect(error.reason).toBe('http_status');
    expect(error.message).toMatch(/answered 500$/);
  });

  it('garbage for the list: malformed', async () => {
    docker.override = (path) =>
      path === LIST_PATH ? { status: 200, body: '<html>gateway</html>' } : undefined;
    expect((await metadataErrorOf(fetchOnce(provider()))).reason).toBe('malformed');
  });

  it('JSON of the wrong shape: malformed', async () => {
    docker.containers = { containers: [] };
    expect((await metadataErrorOf(fetchOnce(provider()))).reason).toBe('malformed');
    docker.containers = [];
    docker.info = { ID: 42, Name: 'node' };
    expect((await metadataErrorOf(fetchOnce(provider()))).reason).toBe('malformed');
  });

  it('a daemon that never answers, with timeoutMs 200: timeout', async () => {
    docker.override = () => 'hang';
    const started = performance.now();
    const error = await metadataErrorOf(fetchOnce(provider({ settings: { timeoutMs: 200 } })));
    expect(error.reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('no socket: connect', async () => {
    const gone = provider({ endpoint: { socketPath: `${docker.socketPath}.missing` } });
    expect((await metadataErrorOf(fetchOnce(gone))).reason).toBe('connect');
  });

  it('an aborted signal: timeout', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await metadataErrorOf(provider().fetch(controller.signal))).reason).toBe('timeout');
  });
});
