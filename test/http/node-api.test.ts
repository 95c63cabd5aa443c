/**
 * The DC/OS-compatible node metrics API on the real agent (runAgent in-process): a generated
 * cgroup v2 tree with a Mesos container and a container Mesos does not know, the Mesos agent
 * API replayed from the shared fixtures by a local HTTP server, a /proc fixture for the node,
 * StatsD from hot-shots over UDP, and the bearer token on. Every answer is polled for until the
 * flush it needs shows, then asserted value by value.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsD } from 'hot-shots';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agent/run.js';
import { loadConfig } from '../../lib/config/load.js';
import { REPO_ROOT } from '../helpers/agent-process.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
/** Copies of /work/shared/fixtures/mesos (test/fixtures/metadata/mesos/README.md), plus an agent id and host name. */
const STATE = JSON.stringify({
  ...JSON.parse(readFileSync(join(FIXTURES, 'metadata', 'mesos', 'agent-state.json'), 'utf8')),
  id: '34b46033-69c0-4663-887c-f64b526e47a6-S0',
  hostname: '10.0.0.7',
});
const CONTAINERS = readFileSync(join(FIXTURES, 'metadata', 'mesos', 'container-metrics.json'), 'utf8');
/** The container the fixture's task status names. */
const CONTAINER = 'e4faacb2-f69f-4ea1-9d96-eb06fea75eef';
/** A container in the cgroup tree that Mesos does not list. */
const OTHER = '0b7d4c2e-1f3a-4b5c-9d8e-7f6a5b4c3d2e';
/** A container that only StatsD names (no cgroup, not in Mesos). */
const STATSD_ONLY = 'c0ffee00-statsd-only';
const TOKEN = 'node-api-token';
const FLUSH_MS = 1000;

const NODE_DIMENSIONS = {
  mesos_id: '34b46033-69c0-4663-887c-f64b526e47a6-S0',
  cluster_id: 'prod-eu',
  hostname: '10.0.0.7',
};
const TASK_DIMENSIONS = {
  ...NODE_DIMENSIONS,
  container_id: CONTAINER,
  executor_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  framework_name: 'marathon',
  framework_id: '5349f49b-68b3-4638-aab2-fc4ec845f993-0000',
  framework_role: '*',
  task_name: 'foo',
  task_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  labels: { somekey: 'someval' },
};

interface ApiDatapoint {
  name: string;
  value: number | null;
  unit: string;
  timestamp: string;
  tags: Record<string, string>;
}
interface ApiMetrics {
  datapoints: ApiDatapoint[];
  dimensions: Record<string, unknown>;
}

let server: Server;
let dir = '';
let root = '';
let agent: RunningAgent | undefined;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/state') res.end(STATE);
    else if (req.url === '/containers') res.end(CONTAINERS);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const mesosUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'corral-node-api-'));
  // A v2 tree: the Mesos task's container (limits on everything) and an unlimited one.
  root = join(dir, 'cgroup');
  mkdirSync(root);
  writeFileSync(join(root, 'cgroup.controllers'), 'cpu io memory pids\n');
  cpSync(join(FIXTURES, 'cgroup-files', 'v2', 'normal'), join(root, 'mesos', CONTAINER), { recursive: true });
  cpSync(join(FIXTURES, 'cgroup-files', 'v2', 'unlimited'), join(root, 'mesos', OTHER), { recursive: true });
  // The node's /proc, with the network namespace of the container's first process (4242).
  const proc = join(dir, 'proc');
  cpSync(join(FIXTURES, 'proc'), proc, { recursive: true });
  cpSync(join(FIXTURES, 'cgroup-files', 'proc', '4242'), join(proc, '4242'), { recursive: true });
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const config = loadConfig({
    command: 'agent',
    env: {
      CORRAL_AGENT_SOURCES: 'statsd,cgroup,node',
      CORRAL_AGENT_SINK: 'null',
      CORRAL_AGENT_STATE_DIR: join(dir, 'state'),
      CORRAL_AGENT_HTTP: '127.0.0.1:0',
      CORRAL_AGENT_HTTP_TOKEN_FILE: join(dir, 'token'),
      CORRAL_METADATA_PROVIDER: 'mesos',
      CORRAL_METADATA_MESOS_URL: mesosUrl,
      CORRAL_METADATA_CLUSTER_ID: 'prod-eu',
      CORRAL_CGROUP_ROOT: root,
      CORRAL_CGROUP_INTERVAL: '1s',
      CORRAL_NODE_PROC_ROOT: proc,
      CORRAL_NODE_INTERVAL: '1s',
      CORRAL_STATSD_UDP: '127.0.0.1:0',
      CORRAL_STATSD_TCP: 'off',
      CORRAL_STATSD_FLUSH_INTERVAL: '1s',
      CORRAL_STATSD_PERCENTILES: '50,99',
      CORRAL_LOG_LEVEL: 'silent',
    },
  });
  agent = await runAgent(config, pino({ level: 'silent' }));
  base = `http://127.0.0.1:${agent.httpAddress!.port}`;
});

afterAll(async () => {
  await agent?.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${path}`, { headers: auth });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Polls `path` until `accept` holds for its answer; returns that answer. */
async function until<T>(path: string, accept: (status: number, body: T) => boolean): Promise<T> {
  let last: { status: number; body: unknown } | undefined;
  await expect
    .poll(
      async () => {
        last = await get(path);
        return accept(last.status, last.body as T);
      },
      { timeout: 15_000, interval: 25 },
    )
    .toBe(true);
  return last!.body as T;
}

function byName(datapoints: readonly ApiDatapoint[]): Map<string, ApiDatapoint> {
  return new Map(datapoints.map((d) => [d.name, d]));
}

/** The one interval every datapoint of a response belongs to: an RFC 3339 time on a flush boundary. */
function intervalOf(metrics: ApiMetrics, intervalMs: number): string {
  const stamps = new Set(metrics.datapoints.map((d) => d.timestamp));
  expect(stamps.size).toBe(1);
  const [stamp] = stamps;
  expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(Date.parse(stamp!) % intervalMs).toBe(0);
  return stamp!;
}

describe('DC/OS node metrics API (real agent, Mesos fixtures, cgroup tree, hot-shots)', () => {
  it('/v0/ping answers ok with an RFC 3339 time', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { status, body } = await get('/v0/ping');
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(Date.parse((body as { timestamp: string }).timestamp)).toBeGreaterThanOrEqual(before);
  });

  it("/v0/node: the node scrape's values and units, with the node's dimensions from Mesos", async () => {
    const node = await until<ApiMetrics>(
      '/v0/node',
      (status, body) => status === 200 && body.dimensions.mesos_id === NODE_DIMENSIONS.mesos_id,
    );
    intervalOf(node, 1000);
    expect(node.dimensions).toEqual(NODE_DIMENSIONS);
    const points = byName(node.datapoints);
    expect(points.get('node.memory.total')).toMatchObject({ value: 4121894912, unit: 'bytes', tags: {} });
    expect(points.get('node.memory.free')).toMatchObject({ value: 319954944, unit: 'bytes' });
    expect(points.get('node.load.1')).toMatchObject({ value: 0.25, unit: 'count', tags: {} });
    expect(points.get('node.load.15')).toMatchObject({ value: 0.18, unit: 'count' });
    expect(node.datapoints.every((d) => !d.name.startsWith('container.'))).toBe(true);
  });

  it('/v0/containers lists the cgroup containers; /v0/containers/:id has their resource metrics and dimensions', async () => {
    const ids = await until<string[]>(
      '/v0/containers',
      (status, body) => status === 200 && body.includes(CONTAINER) && body.includes(OTHER),
    );
    expect(ids).toEqual([OTHER, CONTAINER].sort());

    const container = await until<ApiMetrics>(
      `/v0/containers/${CONTAINER}`,
      (status, body) => status === 200 && body.dimensions.task_name === 'foo',
    );
    intervalOf(container, 1000);
    expect(container.dimensions).toEqual({ ...TASK_DIMENSIONS, hostname: '10.0.0.7' });
    const tags = { host: hostname(), runtime: 'mesos', cgroup_path: `/mesos/${CONTAINER}` };
    const points = byName(container.datapoints);
    expect(points.get('container.memory.usage')).toEqual({
      name: 'container.memory.usage',
      value: 268435456,
      unit: 'bytes',
      timestamp: container.datapoints[0]!.timestamp,
      tags,
    });
    expect(points.get('container.memory.working_set')).toMatchObject({
      value: 184549376,
      unit: 'bytes',
      tags,
    });
    expect(points.get('container.memory.limit')).toMatchObject({ value: 536870912, unit: 'bytes' });
    expect(points.get('container.cpu.limit')).toMatchObject({ value: 1.5, unit: 'cores' });
    expect(points.get('container.pids.current')).toMatchObject({ value: 12, unit: 'count' });
    expect(points.get('container.pressure.cpu.some.avg10')).toMatchObject({ value: 1.82, unit: 'percent' });
    // Only this container's datapoints.
    expect(container.datapoints.every((d) => d.tags.cgroup_path === `/mesos/${CONTAINER}`)).toBe(true);

    // The container Mesos does not know: its id and the node's dimensions.
    const other = await until<ApiMetrics>(`/v0/containers/${OTHER}`, (status) => status === 200);
    expect(other.dimensions).toEqual({ ...NODE_DIMENSIONS, container_id: OTHER });
    expect(byName(other.datapoints).get('container.memory.usage')).toMatchObject({
      value: 10485760,
      unit: 'bytes',
      tags: { host: hostname(), runtime: 'mesos', cgroup_path: `/mesos/${OTHER}` },
    });
  });

  it('app metrics: 204 before any, then one flush of StatsD lines exactly; node-level lines on /v0/node/app', async () => {
    await until('/v0/containers', (status, ids: string[]) => status === 200 && ids.includes(CONTAINER));
    expect((await get(`/v0/containers/${CONTAINER}/app`)).status).toBe(204);
    expect((await get(`/v0/containers/${CONTAINER}/app/app.requests`)).status).toBe(204);

    // One datagram, so that every line lands in the same interval.
    const statsd = new StatsD({
      host: '127.0.0.1',
      port: agent!.statsd!.udpAddress!.port,
      maxBufferSize: 8192,
      bufferFlushInterval: 60_000,
      errorHandler: (e) => {
        throw e;
      },
    });
    const own = { container_id: CONTAINER, route: '/cart' };
    statsd.increment('app.requests', 3, own);
    statsd.gauge('app.queue', 7, own);
    statsd.timing('app.latency', 20, own);
    statsd.timing('app.latency', 40, own);
    statsd.gauge('agent.local.temperature', 42);
    await new Promise<void>((resolve, reject) =>
      statsd.close((error) => (error ? reject(error) : resolve())),
    );

    const app = await until<ApiMetrics>(
      `/v0/containers/${CONTAINER}/app`,
      (status, body) => status === 200 && body.datapoints.some((d) => d.name === 'app.requests'),
    );
    const timestamp = intervalOf(app, FLUSH_MS);
    const tags = { route: '/cart' };
    const point = (name: string, value: number, unit: string) => ({ name, value, unit, timestamp, tags });
    expect([...app.datapoints].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      point('app.latency', 30, 'ms'),
      point('app.latency.count', 2, 'count'),
      point('app.latency.max', 40, 'ms'),
      point('app.latency.min', 20, 'ms'),
      point('app.latency.p50', 20, 'ms'),
      point('app.latency.p99', 40, 'ms'),
      point('app.latency.stddev', 10, 'ms'),
      point('app.latency.sum', 60, 'ms'),
      point('app.queue', 7, ''),
      point('app.requests', 3, ''),
    ]);
    expect(app.dimensions).toEqual(TASK_DIMENSIONS);

    // One metric: its datapoints and the same dimensions; an unknown metric of a known container is 404.
    const one = await get(`/v0/containers/${CONTAINER}/app/app.queue`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      datapoints: [{ ...point('app.queue', 7, ''), timestamp: expect.any(String) }],
      dimensions: TASK_DIMENSIONS,
    });
    const missing = await get(`/v0/containers/${CONTAINER}/app/app.nothing`);
    expect(missing).toEqual({
      status: 404,
      body: { error: `container ${CONTAINER} has no metric app.nothing` },
    });

    // The next flush: the counter and the timer saw nothing, the gauge is reported again.
    const later = await until<ApiMetrics>(
      `/v0/containers/${CONTAINER}/app`,
      (status, body) => status === 200 && body.datapoints[0]!.timestamp !== timestamp,
    );
    expect(later.datapoints).toEqual([
      { name: 'app.queue', value: 7, unit: '', timestamp: expect.any(String), tags },
    ]);
    expect(Date.parse(later.datapoints[0]!.timestamp)).toBeGreaterThan(Date.parse(timestamp));

    // The line without a container is the node's.
    const nodeApp = await until<ApiMetrics>('/v0/node/app', (status) => status === 200);
    expect(nodeApp.datapoints).toEqual([
      { name: 'agent.local.temperature', value: 42, unit: '', timestamp: expect.any(String), tags: {} },
    ]);
    expect(nodeApp.dimensions).toEqual(NODE_DIMENSIONS);
  });

  it('404 for an unknown container, 204 for one known without data of that kind', async () => {
    for (const path of ['', '/app', '/app/app.requests']) {
      expect(await get(`/v0/containers/no-such-container${path}`)).toEqual({
        status: 404,
        body: { error: 'unknown container no-such-container' },
      });
    }
    // The unlimited container has resource metrics and no app metrics.
    await until(`/v0/containers/${OTHER}`, (status) => status === 200);
    expect((await get(`/v0/containers/${OTHER}/app`)).status).toBe(204);

    // A container only StatsD names: app metrics, no resource metrics.
    const statsd = new StatsD({ host: '127.0.0.1', port: agent!.statsd!.udpAddress!.port });
    statsd.gauge('app.only', 5, { container_id: STATSD_ONLY });
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
    const app = await until<ApiMetrics>(`/v0/containers/${STATSD_ONLY}/app`, (status) => status === 200);
    expect(app.datapoints).toEqual([
      { name: 'app.only', value: 5, unit: '', timestamp: expect.any(String), tags: {} },
    ]);
    expect(app.dimensions).toEqual({ ...NODE_DIMENSIONS, container_id: STATSD_ONLY });
    expect((await get(`/v0/containers/${STATSD_ONLY}`)).status).toBe(204);
    expect((await get('/v0/containers')).body).toContain(STATSD_ONLY);
  });

  it('a container that leaves the cgroup tree is dropped, app metrics included, though StatsD still flushes its gauge', async () => {
    const statsd = new StatsD({ host: '127.0.0.1', port: agent!.statsd!.udpAddress!.port });
    statsd.gauge('app.leaving', 1, { container_id: OTHER });
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
    await until(`/v0/containers/${OTHER}/app`, (status) => status === 200);

    rmSync(join(root, 'mesos', OTHER), { recursive: true });
    await until('/v0/containers', (status, ids: string[]) => status === 200 && !ids.includes(OTHER));
    // Two flushes later the aggregator has flushed the gauge again; it stays out.
    const nodeApp = (await get('/v0/node/app')).body as ApiMetrics;
    const seen = Date.parse(nodeApp.datapoints[0]!.timestamp);
    await until<ApiMetrics>(
      '/v0/node/app',
      (status, body) => status === 200 && Date.parse(body.datapoints[0]!.timestamp) >= seen + 2 * FLUSH_MS,
    );
    expect(await get(`/v0/containers/${OTHER}`)).toEqual({
      status: 404,
      body: { error: `unknown container ${OTHER}` },
    });
    expect((await get(`/v0/containers/${OTHER}/app`)).status).toBe(404);
    expect((await get('/v0/containers')).body).not.toContain(OTHER);
    expect((await get('/v0/containers')).body).toContain(CONTAINER);
  });

  it('wants the bearer token on every /v0 route; the probes stay open', async () => {
    for (const path of [
      '/v0/ping',
      '/v0/node',
      '/v0/node/app',
      '/v0/containers',
      `/v0/containers/${CONTAINER}`,
      `/v0/containers/${CONTAINER}/app`,
      `/v0/containers/${CONTAINER}/app/app.queue`,
      '/v0/openapi.json',
      '/metrics',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: 401,
        body: { error: 'a bearer token is required (Authorization: Bearer <token>)' },
      });
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { status: 'ready' },
    });
  });

  it('/v0/openapi.json documents every route, and every documented route answers', async () => {
    const { status, body } = await get('/v0/openapi.json');
    expect(status).toBe(200);
    const document = body as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
      components: unknown;
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/metrics',
        '/v0/statsd/endpoints',
        '/v0/ping',
        '/v0/node',
        '/v0/node/app',
        '/v0/containers',
        '/v0/containers/{id}',
        '/v0/containers/{id}/app',
        '/v0/containers/{id}/app/{metric}',
        '/v0/openapi.json',
      ].sort(),
    );
    for (const [path, operations] of Object.entries(document.paths)) {
      expect(Object.keys(operations)).toEqual(['get']);
      const open = path === '/healthz' || path === '/readyz';
      expect({ path, secured: operations.get!.security !== undefined }).toEqual({ path, secured: !open });
      // A route fastify does not have answers 404 with its own "Route GET:... not found".
      const url = path.replace('{id}', CONTAINER).replace('{metric}', 'app.queue');
      const response = await fetch(`${base}${url}`, { headers: auth });
      const text = await response.text();
      expect({ path, routed: !text.includes('not found') }).toEqual({ path, routed: true });
      expect(Object.keys(operations.get!.responses)).toContain(String(response.status));
    }
    expect(document.components).toEqual({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
    const container = document.paths['/v0/containers/{id}']!.get!.responses as Record<
      string,
      { content?: Record<string, { schema: { properties: Record<string, { properties?: object }> } }> }
    >;
    const schema = container['200']!.content!['application/json']!.schema;
    expect(Object.keys(schema.properties)).toEqual(['datapoints', 'dimensions']);
    expect(Object.keys(schema.properties.dimensions!.properties!)).toEqual([
      'mesos_id',
      'cluster_id',
      'container_id',
      'executor_id',
      'framework_name',
      'framework_id',
      'framework_role',
      'framework_principal',
      'task_name',
      'task_id',
      'hostname',
      'labels',
    ]);
    expect(Object.keys(container).sort()).toEqual(['200', '204', '401', '404']);
  });
});
