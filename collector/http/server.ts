import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../lib/config/host-port.js';
import { requireBearerToken } from '../../lib/http/bearer-token.js';
import type { QueryResult } from '../query/read-only-query.js';

export interface CollectorHttpOptions {
  /** When set, every route but the health checks wants `Authorization: Bearer <token>`. */
  token?: string;
  address: NonNullable<HostPort>;
  registry: Registry;
  logger: Logger;
  /** Why the collector is not ready (Kafka group not joined, storage not answering); none when it is. */
  notReady(): Promise<string[]>;
  /**
   * Read-only SQL against the storage (POST /v0/query), for `corral query` while this process
   * holds the embedded data directory; undefined: the route is absent.
   */
  query?: (sql: string) => Promise<QueryResult>;
}

/** The collector's HTTP API: liveness, readiness and its own metrics for Prometheus. */
export async function startCollectorHttp(options: CollectorHttpOptions): Promise<FastifyInstance> {
  // Request lines are not logged (probes and scrapes every few seconds): warn and up only.
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });
  if (options.token !== undefined) requireBearerToken(app, options.token, options.registry);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = await options.notReady();
    if (reasons.length === 0) return { status: 'ready' };
    reply.code(503);
    return { status: 'not ready', reasons };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  const query = options.query;
  if (query !== undefined) {
    app.post<{ Body: { sql: string } }>(
      '/v0/query',
      {
        schema: {
          body: {
            type: 'object',
            required: ['sql'],
            properties: { sql: { type: 'string', minLength: 1 } },
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        try {
          return await query(request.body.sql);
        } catch (error) {
          // The engine's message says what is wrong with the query (syntax, readonly, unknown table).
          reply.code(400);
          return { error: (error as Error).message };
        }
      },
    );
  }
  await app.listen({ host: options.address.host, port: options.address.port });
  return app;
}
