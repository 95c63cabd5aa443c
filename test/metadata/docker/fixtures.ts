/**
 * The Docker Engine API fixtures (test/fixtures/metadata/docker) and what the provider must make
 * of them, written out by hand: a compose service (shop-web-1), a plain `docker run` (redis-cache),
 * an OOM-killed compose service (shop-worker-1), a `docker kill`ed one (batch-import, 137) and
 * one that failed (nightly-report, exit 1).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ContainerMetadata,
  MetadataSnapshot,
  TaskObservation,
} from '../../../agent/metadata/provider.js';
import type { DockerContainerInspect } from '../../../agent/metadata/providers/docker/api.js';
import type { EventOutcome } from '../../../agent/metadata/providers/docker/events.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'metadata', 'docker');

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

export const CONTAINER_NAMES = [
  'shop-web-1',
  'redis-cache',
  'shop-worker-1',
  'batch-import',
  'nightly-report',
] as const;
export type ContainerName = (typeof CONTAINER_NAMES)[number];

export function inspectFixture(name: ContainerName): DockerContainerInspect {
  return fixtureJson(`inspect/${name}.json`) as DockerContainerInspect;
}

export const ID = {
  web: 'f8acdd0bd6368a12592bd672203319905e35f7a145da0bae1a03ce2fba2a6f42',
  redis: '796f3d46036bf5f1786ff18d62ceba68837e657e498794deb2deb0684c9799a9',
  worker: 'a2cb9633eae01f6235c343bb446e234572d475af7d56b18259c7b64ed142cb2b',
  batch: 'a1e991026a5b9bc4bbeb7f2eb028d8bad3587103f084a7db6a343aca293196b2',
  report: '82d594cf9d89d316a132d7fc608a3bce1d285899988f489cc9a7fba13b0bf486',
} as const;

export const ENGINE_ID = '4e1fa7c2-6b3d-4f0e-9c58-2a7d1e9b0c46';
export const HOSTNAME = 'node-07.dc1.example.com';

const WEB_LABELS = {
  'com.docker.compose.config-hash': 'b1841f29b4248b96f829e61339fd1f5f535abefdd663cd1da41dfd356817a15b',
  'com.docker.compose.container-number': '1',
  'com.docker.compose.depends_on': 'redis:service_started:false',
  'com.docker.compose.image': 'sha256:751dae07e05792d2ce687fc492869294ab1fbcd6fd5e0ec1ccc45293d61bedf2',
  'com.docker.compose.oneoff': 'False',
  'com.docker.compose.project': 'shop',
  'com.docker.compose.project.config_files': '/srv/shop/compose.yaml',
  'com.docker.compose.project.working_dir': '/srv/shop',
  'com.docker.compose.service': 'web',
  'com.docker.compose.version': '2.29.7',
  maintainer: 'NGINX Docker Maintainers <docker-maint@nginx.com>',
  image: 'nginx:1.27-alpine',
};

const WORKER_LABELS = {
  'com.docker.compose.config-hash': '1923c2903e0ce427eb5f12966e9fe5c6f8ced3faa7e44ce3f31c2a4f76dbece7',
  'com.docker.compose.container-number': '1',
  'com.docker.compose.depends_on': '',
  'com.docker.compose.image': 'sha256:95235b498457ad1b52ce43b20ae30991ad96b0843df4ed67a11602272c508435',
  'com.docker.compose.oneoff': 'False',
  'com.docker.compose.project': 'shop',
  'com.docker.compose.project.config_files': '/srv/shop/compose.yaml',
  'com.docker.compose.project.working_dir': '/srv/shop',
  'com.docker.compose.service': 'worker',
  'com.docker.compose.version': '2.29.7',
  'org.opencontainers.image.version': '4.2.0',
  image: 'registry.example.com/shop/worker:4.2.0',
};

export const EXPECTED_CONTAINERS: Record<ContainerName, ContainerMetadata> = {
  'shop-web-1': {
    containerId: ID.web,
    dimensions: {
      framework_id: 'shop',
      framework_name: 'shop',
      executor_id: 'web',
      task_id: ID.web,
      task_name: 'shop-web-1',
      container_id: ID.web,
      labels: WEB_LABELS,
    },
    ips: ['172.18.0.3', '172.20.0.2', 'fd5c:4b1e:9a2f::2'],
  },
  'redis-cache': {
    containerId: ID.redis,
    dimensions: {
      task_id: ID.redis,
      task_name: 'redis-cache',
      container_id: ID.redis,
      labels: { image: 'redis:7.4' },
    },
    ips: ['172.17.0.2', '2001:db8:1::242:ac11:2'],
  },
  'shop-worker-1': {
    containerId: ID.worker,
    dimensions: {
      framework_id: 'shop',
      framework_name: 'shop',
      executor_id: 'worker',
      task_id: ID.worker,
      task_name: 'shop-worker-1',
      container_id: ID.worker,
      labels: WORKER_LABELS,
    },
    // Stopped: Docker keeps the network entries but clears their addresses.
    ips: [],
  },
  'batch-import': {
    containerId: ID.batch,
    dimensions: {
      task_id: ID.batch,
      task_name: 'batch-import',
      container_id: ID.batch,
      labels: { 'org.opencontainers.image.title': 'import', image: 'registry.example.com/batch/import:2.3' },
    },
    ips: [],
  },
  'nightly-report': {
    containerId: ID.report,
    dimensions: {
      task_id: ID.report,
      task_name: 'nightly-report',
      container_id: ID.report,
      labels: { team: 'analytics', schedule: 'nightly', image: 'python:3.12-slim' },
    },
    ips: [],
  },
};

export const EXPECTED_TASKS: Record<ContainerName, TaskObservation> = {
  'shop-web-1': {
    key: ID.web,
    state: 'running',
    sinceMs: Date.UTC(2025, 2, 14, 8, 2, 11, 418),
    dimensions: EXPECTED_CONTAINERS['shop-web-1'].dimensions,
  },
  'redis-cache': {
    key: ID.redis,
    state: 'running',
    sinceMs: Date.UTC(2025, 2, 13, 21, 15, 40, 7),
    dimensions: EXPECTED_CONTAINERS['redis-cache'].dimensions,
  },
  'shop-worker-1': {
    key: ID.worker,
    state: 'oom_killed',
    sinceMs: Date.UTC(2025, 2, 14, 9, 12, 5, 334),
    reason: 'OOMKilled',
    exitCode: 137,
    dimensions: EXPECTED_CONTAINERS['shop-worker-1'].dimensions,
  },
  'batch-import': {
    key: ID.batch,
    state: 'killed',
    sinceMs: Date.UTC(2025, 2, 14, 7, 45, 12, 660),
    exitCode: 137,
    dimensions: EXPECTED_CONTAINERS['batch-import'].dimensions,
  },
  'nightly-report': {
    key: ID.report,
    state: 'failed',
    sinceMs: Date.UTC(2025, 2, 14, 2, 3, 41, 907),
    exitCode: 1,
    dimensions: EXPECTED_CONTAINERS['nightly-report'].dimensions,
  },
};

/** The snapshot of info.json + containers.json + inspect/*.json, in list order. */
export const EXPECTED_SNAPSHOT: MetadataSnapshot = {
  node: { agent_id: ENGINE_ID, hostname: HOSTNAME },
  containers: CONTAINER_NAMES.map((name) => EXPECTED_CONTAINERS[name]),
  tasks: CONTAINER_NAMES.map((name) => EXPECTED_TASKS[name]),
};

/** events.jsonl: oom, die (137) and destroy of shop-worker-1, start of shop-web-1, die of nightly-report (1), die of batch-import (137). */
export const EVENT_LINES = fixtureText('events.jsonl').trimEnd().split('\n');

const WORKER_DIMENSIONS = {
  framework_id: 'shop',
  framework_name: 'shop',
  executor_id: 'worker',
  task_id: ID.worker,
  task_name: 'shop-worker-1',
  container_id: ID.worker,
};

/** What the fixture's events mean, in order. */
export const EXPECTED_EVENT_OUTCOMES: EventOutcome[] = [
  {
    kind: 'observe',
    containerId: ID.worker,
    observation: {
      key: ID.worker,
      state: 'oom_killed',
      sinceMs: 1741943525301,
      reason: 'OOMKilled',
      dimensions: WORKER_DIMENSIONS,
    },
  },
  {
    kind: 'observe',
    containerId: ID.worker,
    observation: {
      key: ID.worker,
      state: 'oom_killed',
      sinceMs: 1741943525334,
      reason: 'OOMKilled',
      exitCode: 137,
      dimensions: WORKER_DIMENSIONS,
    },
  },
  { kind: 'changed', containerId: ID.worker },
  { kind: 'changed', containerId: ID.web },
  {
    kind: 'observe',
    containerId: ID.report,
    observation: {
      key: ID.report,
      state: 'failed',
      sinceMs: 1741917821907,
      exitCode: 1,
      dimensions: { task_id: ID.report, task_name: 'nightly-report', container_id: ID.report },
    },
  },
  {
    kind: 'observe',
    containerId: ID.batch,
    observation: {
      key: ID.batch,
      state: 'killed',
      sinceMs: 1741938312660,
      exitCode: 137,
      dimensions: { task_id: ID.batch, task_name: 'batch-import', container_id: ID.batch },
    },
  },
];
