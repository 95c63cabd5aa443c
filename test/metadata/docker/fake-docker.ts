/**
 * A stand-in Docker daemon: a real HTTP server on a unix socket in a temp dir, answering /info,
 * /containers/json and /containers/{id}/json from the fixtures, and holding /events responses open
 * for the test to write into. Tests await its requests through until(), never through sleeps.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from '../../../agent/metadata/http-json.js';
import { CONTAINER_NAMES, fixtureJson, inspectFixture } from './fixtures.js';

// Taken before any test fakes timers, so waits keep their timeout under vi.useFakeTimers().
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;

/** Promises that settle once a condition holds, re-checked on every notify(). */
export class Waiters {
  private readonly wakers = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.wakers]) wake();
  }

  until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!check()) return;
        this.wakers.delete(wake);
        realClearTimeout(timer);
        resolve();
      };
      const timer = realSetTimeout(() => {
        this.wakers.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.wakers.add(wake);
      wake();
    });
  }
}

/** An answer that replaces the fixture's: a status and raw body, or no answer at all. */
export type Reply = { status: number; body: string } | 'hang';

export interface EventStream {
  response: ServerResponse;
  /** Whether the client has gone (it closed the connection). */
  closed: boolean;
}

export const LIST_PATH = '/containers/json?all=1';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class FakeDocker {
  readonly requests: string[] = [];
  readonly eventStreams: EventStream[] = [];
  readonly waiters = new Waiters();
  info: unknown = fixtureJson('info.json');
  containers: unknown = fixtureJson('containers.json');
  /** Inspect documents by container id; an id not here answers 404 like Docker does. */
  readonly inspects = new Map<string, unknown>(
    CONTAINER_NAMES.map((name) => {
      const inspect = inspectFixture(name);
      return [inspect.Id, inspect];
    }),
  );
  /** Answers a path before the fixtures do; undefined: the fixtures answer. */
  override: (path: string) => Reply | undefined = () => undefined;
  /** Sees every inspect request before it is answered; call answer() to let it through. */
  inspectGate: ((id: string, answer: () => void) => void) | undefined;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly socketPath: string,
  ) {}

  static async start(): Promise<FakeDocker> {
    const dir = mkdtempSync(join(tmpdir(), 'corral-docker-'));
    const socketPath = join(dir, 'docker.sock');
    const server = createServer();
    const fake = new FakeDocker(server, dir, socketPath);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return fake;
  }

  get endpoint(): Endpoint {
    return { socketPath: this.socketPath };
  }

  /** Requests so far whose path starts with prefix. */
  count(prefix: string): number {
    return this.requests.filter((path) => path.startsWith(prefix)).length;
  }

  /** Resolves with the index-th /events response (0: the first) once the client has opened it. */
  async eventStream(index: number): Promise<EventStream> {
    await this.waiters.until(() => this.eventStreams.length > index, `/events request #${index + 1}`);
    return this.eventStreams[index] as EventStream;
  }

  async close(): Promise<void> {
    for (const stream of this.eventStreams) stream.response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '';
    this.requests.push(path);
    this.waiters.notify();
    const reply = this.override(path);
    if (reply === 'hang') return;
    if (reply !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
      return;
    }
    if (path === '/info') {
      sendJson(res, 200, this.info);
      return;
    }
    if (path === LIST_PATH) {
      sendJson(res, 200, this.containers);
      return;
    }
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (inspect !== null) {
      const id = decodeURIComponent(inspect[1] as string);
      const answer = () => {
        const body = this.inspects.get(id);
        if (body === undefined) sendJson(res, 404, { message: `No such container: ${id}` });
        else sendJson(res, 200, body);
      };
      if (this.inspectGate === undefined) answer();
      else this.inspectGate(id, answer);
      return;
    }
    if (path.startsWith('/events?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Docker sends the headers at once too: the client's request timeout ends here.
      res.flushHeaders();
      const stream: EventStream = { response: res, closed: false };
      this.eventStreams.push(stream);
      req.socket.on('close', () => {
        stream.closed = true;
        this.waiters.notify();
      });
      this.waiters.notify();
      return;
    }
    sendJson(res, 404, { message: 'page not found' });
  }
}
