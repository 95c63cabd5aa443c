import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, httpBase, REPO_ROOT, startAgent } from '../helpers/agent-process.js';
import { statsdClient } from '../helpers/statsd-client.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
const STATE = readFileSync(join(FIXTURES, 'metadata', 'mesos', 'agent-state.json'), 'utf8');
const CONTAINERS = readFileSync(join(FIXTURES, 'metadata', 'mesos', 'container-metrics.json'), 'utf8');
/** The container the fixture's task status names, and so the one whose cgroup we make. */
const CONTAINER = 'e4faacb2-f69f-4ea1-9d96-eb06fea75eef';
const TASK_DIMENSIONS = {
  framework_id: '5349f49b-68b3-4638-aab2-fc4ec845f993-0000',
  framework_name: 'marathon',
  framework_role: '*',
  executor_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  task_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  task_name: 'foo',
  container_id: CONTAINER,
  labels: { somekey: 'someval' },
};

describe('Mesos metadata end to end (real CLI, local Mesos agent API, fixture cgroup tree, hot-shots)', () => {
  let server: Server;
  let url = '';
  let root = '';
  let agent: AgentProcess | undefined;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/state') res.end(STATE);
      else if (req.url === '/containers') res.end(CONTAINERS);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A v2 tree with the fixture's Mesos container in it.
    root = mkdtempSync(join(tmpdir(), 'corral-e2e-mesos-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu io memory pids\n');
    const dir = join(root, 'mesos', CONTAINER);
    mkdirSync(dir, { recursive: true });
    cpSync(join(FIXTURES, 'cgroup-files', 'v2', 'normal'), dir, { recursive: true });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  it("tags the container's cgroup metrics and the node's StatsD metrics, and reports the task running", async () => {
    agent = await startAgent(
      [
        '--metadata',
        'mesos',
        '--metadata-mesos-url',
        url,
        '--metadata-cluster-id',
        'prod-eu',
        '--cgroup-root',
        root,
        '--cgroup-interval',
        '1s',
        '--statsd-flush-interval',
        '1s',
        '--node-proc-root',
        join(FIXTURES, 'cgroup-files', 'proc'),
      ],
      'statsd,cgroup',
    );
    // The sample /state has no agent id or hostname: the agent's own host name fills in.
    const node = { cluster_id: 'prod-eu', hostname: expect.any(String) };
    const memory = () =>
      agent!.lines.filter((l) => l.name === 'container.memory.usage' && l.container_id === CONTAINER);
    // The first scrape may run before the first refresh: wait for a tagged one.
    await agent.waitFor(
      () => memory().some((l) => l.dimensions?.task_name === 'foo'),
      'a tagged memory reading',
    );
    expect(memory().find((l) => l.dimensions?.task_name === 'foo')?.dimensions).toEqual({
      ...node,
      ...TASK_DIMENSIONS,
    });

    const statsd = statsdClient(agent.udpPort);
    statsd.increment('app.requests', 3);
    await agent.waitFor((lines) => lines.some((l) => l.name === 'app.requests'), 'the StatsD counter');
    statsd.close(() => {});
    // No container said who sent it: the node's dimensions.
    const app = agent.lines.find((l) => l.name === 'app.requests');
    expect(app?.dimensions).toEqual(node);

    const events = agent.lines.filter((l) => l.event === 'task_state');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      state: 'running',
      previous_state: '',
      dimensions: { ...node, ...TASK_DIMENSIONS },
    });
    expect(requests).toContain('/state');
    // The container's dimensions are published once (for the compacted metadata topic).
    const published = agent.lines.filter((l) => l.event === 'container_metadata');
    expect(published).toEqual([
      {
        event: 'container_metadata',
        time_ms: expect.any(Number),
        container_id: CONTAINER,
        removed: false,
        dimensions: { ...node, ...TASK_DIMENSIONS },
      },
    ]);
  });

  it('keeps serving when the Mesos API fails: errors counted by reason on /metrics, metrics still flowing', async () => {
    const failing = createServer((_req, res) => res.writeHead(500).end('boom'));
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
      agent = await startAgent([
        '--metadata',
        'mesos',
        '--metadata-mesos-url',
        failingUrl,
        '--statsd-flush-interval',
        '200ms',
      ]);
      const base = await httpBase(agent);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const errorsCounted = async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const match = /corral_metadata_errors_total\{provider="mesos",reason="http_status"\} (\d+)/.exec(
          text,
        );
        return Number(match?.[1] ?? 0);
      };
      await expect.poll(errorsCounted, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      const statsd = statsdClient(agent.udpPort);
      statsd.gauge('app.queue', 7);
      await agent.waitFor(
        (lines) => lines.some((l) => l.name === 'app.queue' && l.value === 7),
        'the StatsD gauge',
      );
      statsd.close(() => {});
      expect((await fetch(`${base}/v0/statsd/endpoints`)).status).toBe(404);
      expect(
        agent.logs.some((l) => l.msg === 'metadata refresh failed; keeping the last good metadata'),
      ).toBe(true);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it("gives the task's container its own StatsD port (HTTP and file), and tags app metrics like its cgroup metrics", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'corral-e2e-state-'));
    try {
      agent = await startAgent(
        [
          '--metadata',
          'mesos',
          '--metadata-mesos-url',
          url,
          '--cgroup-root',
          root,
          '--cgroup-interval',
          '1s',
          '--statsd-flush-interval',
          '1s',
          '--statsd-container-ports',
          'ephemeral',
          '--agent-state-dir',
          stateDir,
          '--node-proc-root',
          join(FIXTURES, 'cgroup-files', 'proc'),
        ],
        'statsd,cgroup',
      );
      const base = await httpBase(agent);
      const endpoints = async () =>
        (
          (await (await fetch(`${base}/v0/statsd/endpoints`)).json()) as {
            endpoints: { container_id: string; host: string; port: number }[];
          }
        ).endpoints;
      await expect.poll(async () => (await endpoints()).length, { timeout: 10_000 }).toBe(1);
      const [endpoint] = await endpoints();
      expect(endpoint).toMatchObject({ container_id: CONTAINER, host: '127.0.0.1' });
      // The same mapping in the state file, for launchers that read files. It is written just
      // after the port opens (the HTTP API may answer first), so wait for it.
      const saved = () => {
        try {
          return JSON.parse(readFileSync(join(stateDir, 'statsd-ports.json'), 'utf8')).endpoints as unknown;
        } catch {
          return undefined;
        }
      };
      await expect
        .poll(saved, { timeout: 10_000 })
        .toEqual([{ containerId: CONTAINER, host: '127.0.0.1', port: endpoint!.port }]);

      const own = statsdClient(endpoint!.port);
      const shared = statsdClient(agent.udpPort);
      own.increment('app.own_port', 2);
      shared.increment('app.tagged', 5, { container_id: CONTAINER, route: '/cart' });
      await agent.waitFor(
        (lines) => lines.some((l) => l.name === 'app.own_port') && lines.some((l) => l.name === 'app.tagged'),
        'both app counters',
      );
      own.close(() => {});
      shared.close(() => {});
      const full = { cluster_id: undefined, hostname: expect.any(String), ...TASK_DIMENSIONS };
      delete full.cluster_id;
      for (const name of ['app.own_port', 'app.tagged']) {
        const line = agent.lines.find((l) => l.name === name);
        expect(line?.container_id).toBe(CONTAINER);
        expect(line?.dimensions).toEqual(full);
      }
      // The tag became the container: it is not a tag any more.
      expect(agent.lines.find((l) => l.name === 'app.tagged')?.tags).toEqual({ route: '/cart' });
      // And the container's cgroup metrics carry the very same dimensions.
      await agent.waitFor(
        (lines) =>
          lines.some((l) => l.name === 'container.memory.usage' && l.dimensions?.task_name === 'foo'),
        'a tagged memory reading',
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
