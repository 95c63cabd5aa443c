/**
 * The DC/OS-compatible node metrics API (dcos-metrics v0) on the agent's HTTP server: the
 * node's metrics, its containers' resource metrics and their applications' StatsD metrics, the
 * latest interval of each, from the store the agent's flushes feed (agent/sinks/latest/).
 */
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { LatestInterval, LatestStore } from '../sinks/latest/latest-store.js';
import { type DcosMetrics, dcosDatapoints, dcosDimensions, rfc3339 } from './dcos-format.js';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const datapointSchema = {
  type: 'object',
  required: ['name', 'value', 'unit', 'timestamp', 'tags'],
  properties: {
    name: { type: 'string' },
    value: { type: ['number', 'null'], description: 'null for NaN and infinities' },
    unit: { type: 'string', description: 'bytes, seconds, count, percent, ms...; "" when unknown' },
    timestamp: { type: 'string', format: 'date-time', description: 'RFC 3339, UTC' },
    tags: stringMap,
  },
} as const;

export const dimensionsSchema = {
  type: 'object',
  required: ['mesos_id', 'hostname'],
  properties: {
    mesos_id: { type: 'string', description: 'The node as Mesos knows it (agent id); "" when unknown' },
    cluster_id: { type: 'string' },
    container_id: { type: 'string' },
    executor_id: { type: 'string' },
    framework_name: { type: 'string' },
    framework_id: { type: 'string' },
    framework_role: { type: 'string' },
    framework_principal: { type: 'string' },
    task_name: { type: 'string' },
    task_id: { type: 'string' },
    hostname: { type: 'string' },
    labels: stringMap,
  },
} as const;

export const metricsSchema = {
  type: 'object',
  required: ['datapoints', 'dimensions'],
  properties: {
    datapoints: { type: 'array', items: datapointSchema },
    dimensions: dimensionsSchema,
  },
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

const noContent = { description: 'Known, but no datapoints yet', type: 'null' } as const;
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, description: 'Container id' } },
} as const;

/** A route schema with the OpenAPI fields fastify ignores (openapi.ts reads them). */
export function documented(schema: FastifySchema & { summary: string; description?: string }): FastifySchema {
  return schema;
}

function metrics(description: string) {
  return { ...metricsSchema, description };
}

function error(description: string) {
  return { ...errorSchema, description };
}

/** The routes, under /v0. */
export function registerNodeApi(app: FastifyInstance, store: LatestStore): void {
  const body = (entry: LatestInterval, containerId?: string): DcosMetrics => ({
    datapoints: dcosDatapoints(entry.points),
    dimensions: dcosDimensions(store.dimensionsOf(containerId)),
  });
  const unknown = (id: string) => ({ error: `unknown container ${id}` });

  app.get(
    '/v0/ping',
    {
      schema: documented({
        summary: 'Liveness of the node metrics API',
        response: {
          200: {
            description: 'Always ok',
            type: 'object',
            required: ['ok', 'timestamp'],
            properties: { ok: { type: 'boolean' }, timestamp: { type: 'string', format: 'date-time' } },
          },
        },
      }),
    },
    // Whole seconds, as dcos-metrics answered.
    async () => ({ ok: true, timestamp: rfc3339(Math.floor(Date.now() / 1000) * 1000) }),
  );

  app.get(
    '/v0/node',
    {
      schema: documented({
        summary: "The node's metrics (cpu, memory, load, filesystems, network...) from the last scrape",
        response: { 200: metrics("The node's metrics and dimensions"), 204: noContent },
      }),
    },
    async (_request, reply) => {
      const entry = store.nodeMetrics();
      if (entry === undefined) return reply.code(204).send();
      return body(entry);
    },
  );

  app.get(
    '/v0/node/app',
    {
      schema: documented({
        summary: 'StatsD metrics of no container (sent to the shared port without a container)',
        response: { 200: metrics("The last flush's datapoints of no container"), 204: noContent },
      }),
    },
    async (_request, reply) => {
      const entry = store.nodeAppMetrics();
      if (entry === undefined) return reply.code(204).send();
      return body(entry);
    },
  );

  app.get(
    '/v0/containers',
    {
      schema: documented({
        summary: 'The ids of the containers the agent knows',
        response: { 200: { description: 'Container ids, sorted', type: 'array', items: { type: 'string' } } },
      }),
    },
    async () => store.containerIds(),
  );

  app.get<{ Params: { id: string } }>(
    '/v0/containers/:id',
    {
      schema: documented({
        summary: "A container's resource metrics (cgroups) from the last scrape",
        params: idParam,
        response: {
          200: metrics("The container's resource metrics and dimensions"),
          204: noContent,
          404: error('Unknown container'),
        },
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      const entry = store.containerMetrics(id);
      if (entry !== undefined) return body(entry, id);
      if (!store.knows(id)) return reply.code(404).send(unknown(id));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v0/containers/:id/app',
    {
      schema: documented({
        summary: "A container's application metrics (StatsD) from the last flush that had any",
        params: idParam,
        response: {
          200: metrics("The container's app metrics and dimensions"),
          204: noContent,
          404: error('Unknown container'),
        },
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      const entry = store.appMetrics(id);
      if (entry !== undefined) return body(entry, id);
      if (!store.knows(id)) return reply.code(404).send(unknown(id));
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string; metric: string } }>(
    '/v0/containers/:id/app/:metric',
    {
      schema: documented({
        summary: "One of a container's application metrics: every datapoint of that name (one per tag set)",
        params: {
          type: 'object',
          required: ['id', 'metric'],
          properties: {
            ...idParam.properties,
            metric: { type: 'string', minLength: 1, description: 'Metric name, as in the datapoints' },
          },
        },
        response: {
          200: metrics('The datapoints of that name and the dimensions'),
          204: noContent,
          404: error('Unknown container, or no such metric in its last flush'),
        },
      }),
    },
    async (request, reply) => {
      const { id, metric } = request.params;
      const entry = store.appMetrics(id);
      if (entry === undefined) {
        if (!store.knows(id)) return reply.code(404).send(unknown(id));
        return reply.code(204).send();
      }
      const datapoints = dcosDatapoints(entry.points).filter((p) => p.name === metric);
      if (datapoints.length === 0)
        return reply.code(404).send({ error: `container ${id} has no metric ${metric}` });
      return { datapoints, dimensions: dcosDimensions(store.dimensionsOf(id)) };
    },
  );
}
