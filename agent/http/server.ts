import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { requireBearerToken } from '../../lib/http/bearer-token.js';
import { LatestStore } from '../sinks/latest/latest-store.js';
import type { ListenAddress } from '../sources/statsd/listen-address.js';
import { documented, errorSchema, registerNodeApi } from './node-api.js';
import { collectRoutes, openApiDocument } from './openapi.js';

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
  /** The latest interval of each source, for the node metrics API; without it, that API has no data. */
  latest?: LatestStore;
  /** Why the agent cannot deliver what it collects (its sink), or none; without it, always ready. */
  notReady?: () => Promise<string[]>;
}

const statusSchema = (description: string, status: string) =>
  ({
    description,
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: [status] } },
  }) as const;

/**
 * The agent's HTTP API: health and readiness, its own metrics for Prometheus, the
 * per-container StatsD endpoints, the DC/OS-compatible node metrics API (node-api.ts) and an
 * OpenAPI document of all of these. Binds to loopback by default (agent.http). docs/http-api.md
 * describes every route.
 */
export async function startAgentHttp(options: AgentHttpOptions): Promise<FastifyInstance> {
  // Request lines are not logged (health checks and scrapes every few seconds): warn and up only.
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });
  const routes = collectRoutes(app);
  if (options.token !== undefined) requireBearerToken(app, options.token, options.registry);
  app.get(
    '/healthz',
    {
      schema: documented({
        summary: 'Liveness: the process answers',
        response: { 200: statusSchema('Alive', 'ok') },
      }),
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: documented({
        summary: 'Readiness: the sink can deliver (Kafka reachable and the last send went through)',
        response: {
          200: statusSchema('Ready', 'ready'),
          503: {
            description: 'Not ready, and why',
            type: 'object',
            required: ['status', 'reasons'],
            properties: {
              status: { type: 'string', enum: ['not ready'] },
              reasons: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      }),
    },
    async (_request, reply) => {
      const reasons = (await options.notReady?.()) ?? [];
      if (reasons.length === 0) return { status: 'ready' };
      return reply.code(503).send({ status: 'not ready', reasons });
    },
  );
  app.get(
    '/metrics',
    {
      schema: documented({
        summary: "The agent's own metrics, in Prometheus text format",
        response: {
          200: {
            description: 'Prometheus exposition',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      }),
    },
    async (_request, reply) => {
      reply.header('content-type', options.registry.contentType);
      return options.registry.metrics();
    },
  );
  app.get(
    '/v0/statsd/endpoints',
    {
      schema: documented({
        summary: "Each container's own StatsD endpoint (statsd.containerPorts)",
        response: {
          200: {
            description: 'The endpoints',
            type: 'object',
            required: ['endpoints'],
            properties: {
              endpoints: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['container_id', 'host', 'port'],
                  properties: {
                    container_id: { type: 'string' },
                    host: { type: 'string' },
                    port: { type: 'integer' },
                  },
                },
              },
            },
          },
          404: { ...errorSchema, description: 'Per-container StatsD endpoints are off' },
        },
      }),
    },
    async (_request, reply) => {
      if (options.statsdEndpoints === undefined) {
        reply.code(404);
        return { error: 'per-container StatsD endpoints are off (statsd.containerPorts)' };
      }
      return {
        endpoints: options
          .statsdEndpoints()
          .map((e) => ({ container_id: e.containerId, host: e.host, port: e.port })),
      };
    },
  );
  registerNodeApi(app, options.latest ?? new LatestStore());
  let document: Record<string, unknown> | undefined;
  app.get(
    '/v0/openapi.json',
    {
      schema: documented({
        summary: 'This document: every route of the agent HTTP API (OpenAPI 3)',
        response: {
          200: {
            description: 'OpenAPI 3 document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      }),
    },
    async (_request, reply) => {
      document ??= openApiDocument(
        routes,
        {
          title: 'corral agent HTTP API',
          version: '0',
          description:
            'Health, readiness, self-metrics, per-container StatsD endpoints and the DC/OS-compatible node metrics API (docs/http-api.md).',
        },
        options.token !== undefined,
      );
      // Sent as text: the document is a plain object, not shaped by a response schema.
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(document));
    },
  );
  await app.listen({ host: options.address.host, port: options.address.port });
  return app;
}
