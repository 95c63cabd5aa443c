import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { requireBearerToken } from '../../lib/http/bearer-token.js';
import type { ListenAddress } from '../sources/statsd/listen-address.js';

/** A container's own StatsD endpoint, as launchers read it to set STATSD_UDP_HOST/PORT. */
export interface StatsdEndpoint {
  containerId: string;
  host: string;
  port: number;
}

export interface AgentHttpOptions {
  /** When set, every route but the health checks wants `Authorization: Bearer <token>`. */
  token?: string;
  address: ListenAddress;
  registry: Registry;
  logger: Logger;
  /** Per-container StatsD endpoints; undefined when they are off. */
  statsdEndpoints?: () => readonly StatsdEndpoint[];
}

/**
 * The agent's HTTP API: health, its own metrics for Prometheus, and the per-container StatsD
 * endpoints. Binds to loopback by default (agent.http); the DC/OS-compatible node metrics
 * routes join it in a later milestone.
 */
export async function startAgentHttp(options: AgentHttpOptions): Promise<FastifyInstance> {
  // Request lines are not logged (health checks and scrapes every few seconds): warn and up only.
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });
  if (options.token !== undefined) requireBearerToken(app, options.token, options.registry);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  app.get('/v0/statsd/endpoints', async (_request, reply) => {
    if (options.statsdEndpoints === undefined) {
      reply.code(404);
      return { error: 'per-container StatsD endpoints are off (statsd.containerPorts)' };
    }
    return {
      endpoints: options
        .statsdEndpoints()
        .map((e) => ({ container_id: e.containerId, host: e.host, port: e.port })),
    };
  });
  await app.listen({ host: options.address.host, port: options.address.port });
  return app;
}
