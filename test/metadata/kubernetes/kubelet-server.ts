import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  accept: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real local server standing in for the kubelet; each test sets how it answers. */
export class KubeletServer {
  readonly requests: RecordedRequest[] = [];
  handler: Handler = (_req, res) => res.writeHead(404).end();
  private readonly server: Server;
  private readonly scheme: 'http' | 'https';
  private readonly arrivals = new Set<() => void>();

  constructor(tls?: { key: string; cert: string }) {
    const listener: Handler = (req, res) => {
      this.requests.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        accept: req.headers.accept,
      });
      for (const wake of [...this.arrivals]) wake();
      this.handler(req, res);
    };
    this.scheme = tls === undefined ? 'http' : 'https';
    this.server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  }

  /** Listens on 127.0.0.1 on a free port; resolves with the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `${this.scheme}://127.0.0.1:${port}`;
  }

  /** Resolves once a request has arrived (made already or later). */
  nextRequest(count = this.requests.length + 1): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (this.requests.length < count) return;
        this.arrivals.delete(wake);
        resolve();
      };
      this.arrivals.add(wake);
      wake();
    });
  }

  /** Answers with a JSON body. */
  json(status: number, body: unknown): void {
    this.handler = (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
  }

  async close(): Promise<void> {
    // Hanging requests would keep close() waiting forever.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
