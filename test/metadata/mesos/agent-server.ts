import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
}

/** A local stand-in for a Mesos agent: real sockets, canned answers per path. */
export interface AgentServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export function sendJson(body: unknown, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

export function sendText(status: number, body: string): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };
}

function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  // Hanging handlers and keep-alive sockets would otherwise hold close() open.
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/** Serves `routes` by path (404 elsewhere), over TLS when given a key and certificate. */
export async function startAgentServer(
  routes: Record<string, Handler>,
  tls?: { key: string; cert: string },
): Promise<AgentServer> {
  const requests: RecordedRequest[] = [];
  const handle: Handler = (req, res) => {
    const path = req.url ?? '';
    const recorded: RecordedRequest = { method: req.method ?? '', path };
    if (req.headers.authorization !== undefined) recorded.authorization = req.headers.authorization;
    requests.push(recorded);
    (routes[path] ?? sendText(404, 'no such endpoint'))(req, res);
  };
  const server = tls === undefined ? createHttpServer(handle) : createHttpsServer(tls, handle);
  const url = await listen(server, tls === undefined ? 'http' : 'https');
  return { url, requests, close: () => closeServer(server) };
}

/** A port nothing listens on: one the system just handed out, closed again. */
export async function closedPortUrl(): Promise<string> {
  const server = createHttpServer();
  const url = await listen(server, 'http');
  await closeServer(server);
  return url;
}

/** A promise and its resolver, so one handler can wait until another request has arrived. */
export function deferred(): { done: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { done, resolve };
}
