/**
 * A local HTTP server answering the two Schema Registry endpoints corral uses, the way
 * Confluent's registry does: ids are global and assigned once per distinct schema, a schema
 * registered again (under any subject) gets its existing id, errors carry error_code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

interface StoredSchema {
  schema: string;
  schemaType: string | undefined;
}

export class FakeSchemaRegistry {
  readonly requests: string[] = [];
  /** Set to answer every request with 500, as a registry whose backend is down does. */
  failing = false;
  /** When set, requests without exactly this Authorization header get 401, as a secured registry answers. */
  authorization: string | undefined;
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly idsBySchema = new Map<string, number>();
  private readonly subjects = new Map<string, number[]>();
  private server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) =>
        reply(response, 500, { error_code: 50001, message: String(error) }),
      );
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Registers directly, as another producer would have. */
  add(subject: string, schema: string, schemaType?: string): number {
    const key = `${schemaType ?? 'AVRO'}\u0000${normalize(schema)}`;
    let id = this.idsBySchema.get(key);
    if (id === undefined) {
      id = this.schemas.size + 1;
      this.schemas.set(id, { schema, schemaType });
      this.idsBySchema.set(key, id);
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(id)) versions.push(id);
    this.subjects.set(subject, versions);
    return id;
  }

  subjectIds(subject: string): number[] {
    return this.subjects.get(subject) ?? [];
  }

  count(prefix: string): number {
    return this.requests.filter((r) => r.startsWith(prefix)).length;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? '';
    this.requests.push(`${request.method} ${path}`);
    if (this.failing)
      return reply(response, 500, { error_code: 50001, message: 'Error in the backend data store' });
    if (this.authorization !== undefined && request.headers.authorization !== this.authorization)
      return reply(response, 401, { error_code: 40101, message: 'Unauthorized' });
    const register = /^\/subjects\/([^/]+)\/versions$/.exec(path);
    if (register !== null && request.method === 'POST') {
      if (!(request.headers['content-type'] ?? '').startsWith(CONTENT_TYPE)) {
        return reply(response, 415, { error_code: 415, message: 'HTTP 415 Unsupported Media Type' });
      }
      const body: unknown = JSON.parse(await readBody(request));
      if (
        typeof body !== 'object' ||
        body === null ||
        !('schema' in body) ||
        typeof body.schema !== 'string'
      ) {
        return reply(response, 422, { error_code: 42201, message: 'Invalid schema' });
      }
      try {
        JSON.parse(body.schema);
      } catch {
        return reply(response, 422, { error_code: 42201, message: 'Invalid schema' });
      }
      return reply(response, 200, { id: this.add(decodeURIComponent(register[1]!), body.schema) });
    }
    const byId = /^\/schemas\/ids\/(-?\d+)$/.exec(path);
    if (byId !== null && request.method === 'GET') {
      const stored = this.schemas.get(Number(byId[1]));
      if (stored === undefined)
        return reply(response, 404, { error_code: 40403, message: 'Schema not found' });
      return reply(
        response,
        200,
        stored.schemaType === undefined
          ? { schema: stored.schema }
          : { schema: stored.schema, schemaType: stored.schemaType },
      );
    }
    reply(response, 404, { error_code: 404, message: 'HTTP 404 Not Found' });
  }
}

/** The registry compares schemas parsed, not as text. */
function normalize(schema: string): string {
  return JSON.stringify(JSON.parse(schema));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': CONTENT_TYPE });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
