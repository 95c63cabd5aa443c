import type { ContainerMetadata, TaskObservation } from '../../../agent/metadata/provider.js';
import type { PodFixture } from './pod-fixtures.js';

// What each fixture pod maps to, written out by hand from the fixture files (README.md of the
// provider has the rules). Shared by the mapping tests and the client tests.

const at = (time: string) => Date.parse(time);

const checkoutUid = '5f0c3a8e-2b1d-4c6e-9a7f-1e2d3c4b5a69';
const checkout = {
  framework_id: 'shop/Deployment/checkout',
  framework_name: 'checkout',
  framework_role: 'shop',
  executor_id: checkoutUid,
  task_id: 'shop/checkout-7d9f8b6c5d-x2k4p',
  task_name: 'checkout-7d9f8b6c5d-x2k4p',
};
const checkoutLabels = {
  'app.kubernetes.io/name': 'checkout',
  'app.kubernetes.io/version': '2.14.1',
  'pod-template-hash': '7d9f8b6c5d',
};
const checkoutIps = ['10.244.3.41', 'fd00:10:244:3::29'];
const waitForDbId = '152cf509bb0614be3934204db652cb16fe727ef031e9d9f1f7b75adbd026eaf9';
const appId = '123beec1446e73544a838df719244e188ea8f7bd60b4531a75f9844d954ae3c3';
const envoyId = 'a45d63e532a77e77f8dbdd5f1851393e98548a3a64711b270185eaa674768d94';

const postgresUid = 'c2b7d1e4-8f3a-4a9b-b6c5-7e8f9a0b1c2d';
const postgres = {
  framework_id: 'data/StatefulSet/postgres',
  framework_name: 'postgres',
  framework_role: 'data',
  executor_id: postgresUid,
  task_id: 'data/postgres-0',
  task_name: 'postgres-0',
};
const postgresLabels = {
  app: 'postgres',
  'apps.kubernetes.io/pod-index': '0',
  'controller-revision-hash': 'postgres-6b9d7c5f4',
  'statefulset.kubernetes.io/pod-name': 'postgres-0',
};
const exporterId = '2b3945b585e5ba13538e6b245d2683f40091160d071c63f379fd414a54a1cdfd';
const postgresId = '7f630066603cd143e62a2ccbc2e7ca2d73a81552ead69d005441e6e84ffe0dd0';

const debugUid = '8e4f2a1b-3c5d-4e6f-a7b8-c9d0e1f2a3b4';
const debug = {
  framework_id: 'default/Pod/debug-shell',
  framework_name: 'debug-shell',
  framework_role: 'default',
  executor_id: debugUid,
  task_id: 'default/debug-shell',
  task_name: 'debug-shell',
};
const debugId = '0b8e9e995d8d77f1e4770f0f79665aee6f3f70247b3735422daba73df4c3096f';

const workerUid = '3a9d6e2f-1b4c-4d8e-9f0a-b1c2d3e4f5a6';
const worker = {
  framework_id: 'pipeline/Deployment/ingest-worker',
  framework_name: 'ingest-worker',
  framework_role: 'pipeline',
  executor_id: workerUid,
  task_id: 'pipeline/ingest-worker-5c8d7b9f4-qw8zt',
  task_name: 'ingest-worker-5c8d7b9f4-qw8zt',
};
const workerLabels = { app: 'ingest-worker', 'pod-template-hash': '5c8d7b9f4', container_name: 'worker' };
const oomKilledWorkerId = 'd88f028f79b4bb2dd6bd0f41a93a20e2f6009205705acbf886a4a513e822dd37';

const reportUid = '9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e';
const report = {
  framework_id: 'reporting/Job/report-28597380',
  framework_name: 'report-28597380',
  framework_role: 'reporting',
  executor_id: reportUid,
  task_id: 'reporting/report-28597380-5jq7w',
  task_name: 'report-28597380-5jq7w',
};
const reportLabels = {
  'batch.kubernetes.io/controller-uid': '77a8b9c0-d1e2-4f3a-b4c5-d6e7f8a9b0c1',
  'batch.kubernetes.io/job-name': 'report-28597380',
  'controller-uid': '77a8b9c0-d1e2-4f3a-b4c5-d6e7f8a9b0c1',
  'job-name': 'report-28597380',
  container_name: 'report',
};
const reportId = '187b6a8f6a5088a64433dff329312f282d82c7136dacfb787193eeef43506ad8';

const cacheUid = 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70';
const cache = {
  framework_id: 'shop/Deployment/cache',
  framework_name: 'cache',
  framework_role: 'shop',
  executor_id: cacheUid,
  task_id: 'shop/cache-7b6f5d9c8-lm2vz',
  task_name: 'cache-7b6f5d9c8-lm2vz',
};
const cacheLabels = { app: 'cache', 'pod-template-hash': '7b6f5d9c8', container_name: 'redis' };
const redisId = '6095c78547069fda0d560f5c69b76c8ef43b8156b8e552cbc8105c8777ea2033';

const webUid = '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b';
const web = {
  framework_id: 'shop/Deployment/web',
  framework_name: 'web',
  framework_role: 'shop',
  executor_id: webUid,
  task_id: 'shop/web-6f7d8c9b5-9rtmx',
  task_name: 'web-6f7d8c9b5-9rtmx',
};
const webLabels = { app: 'web', 'pod-template-hash': '6f7d8c9b5' };

export const NODE_A7 = { agent_id: 'node-a7', hostname: 'node-a7' };

export const EXPECTED: Record<PodFixture, { containers: ContainerMetadata[]; tasks: TaskObservation[] }> = {
  'deployment-containerd': {
    containers: [
      {
        containerId: waitForDbId,
        dimensions: {
          ...checkout,
          container_id: waitForDbId,
          labels: { ...checkoutLabels, container_name: 'wait-for-db' },
        },
        ips: checkoutIps,
      },
      {
        containerId: appId,
        dimensions: {
          ...checkout,
          container_id: appId,
          labels: { ...checkoutLabels, container_name: 'app' },
        },
        ips: checkoutIps,
      },
      {
        containerId: envoyId,
        dimensions: {
          ...checkout,
          container_id: envoyId,
          labels: { ...checkoutLabels, container_name: 'envoy' },
        },
        ips: checkoutIps,
      },
    ],
    tasks: [
      {
        key: `${checkoutUid}/wait-for-db/0`,
        state: 'finished',
        sinceMs: at('2024-05-14T09:00:02Z'),
        reason: 'Completed',
        exitCode: 0,
        dimensions: {
          ...checkout,
          container_id: waitForDbId,
          labels: { ...checkoutLabels, container_name: 'wait-for-db' },
        },
      },
      {
        key: `${checkoutUid}/app/0`,
        state: 'running',
        sinceMs: at('2024-05-14T09:00:04Z'),
        dimensions: {
          ...checkout,
          container_id: appId,
          labels: { ...checkoutLabels, container_name: 'app' },
        },
      },
      {
        key: `${checkoutUid}/envoy/0`,
        state: 'running',
        sinceMs: at('2024-05-14T09:00:05Z'),
        dimensions: {
          ...checkout,
          container_id: envoyId,
          labels: { ...checkoutLabels, container_name: 'envoy' },
        },
      },
    ],
  },
  'statefulset-crio': {
    containers: [
      {
        containerId: exporterId,
        dimensions: {
          ...postgres,
          container_id: exporterId,
          labels: { ...postgresLabels, container_name: 'exporter' },
        },
        ips: ['10.244.3.12'],
      },
      {
        containerId: postgresId,
        dimensions: {
          ...postgres,
          container_id: postgresId,
          labels: { ...postgresLabels, container_name: 'postgres' },
        },
        ips: ['10.244.3.12'],
      },
    ],
    tasks: [
      {
        key: `${postgresUid}/exporter/0`,
        state: 'running',
        sinceMs: at('2024-05-10T14:21:12Z'),
        dimensions: {
          ...postgres,
          container_id: exporterId,
          labels: { ...postgresLabels, container_name: 'exporter' },
        },
      },
      {
        key: `${postgresUid}/postgres/0`,
        state: 'running',
        sinceMs: at('2024-05-10T14:21:10Z'),
        dimensions: {
          ...postgres,
          container_id: postgresId,
          labels: { ...postgresLabels, container_name: 'postgres' },
        },
      },
    ],
  },
  'bare-pod-docker': {
    containers: [
      {
        containerId: debugId,
        dimensions: {
          ...debug,
          container_id: debugId,
          labels: { run: 'debug-shell', container_name: 'debug-shell' },
        },
        ips: ['10.244.3.77'],
      },
    ],
    tasks: [
      {
        key: `${debugUid}/debug-shell/0`,
        state: 'running',
        sinceMs: at('2024-05-14T10:02:44Z'),
        dimensions: {
          ...debug,
          container_id: debugId,
          labels: { run: 'debug-shell', container_name: 'debug-shell' },
        },
      },
    ],
  },
  'crashloop-oom': {
    // containerID of a crash-looping container names the dead one: listed, and its run's id.
    containers: [
      {
        containerId: oomKilledWorkerId,
        dimensions: { ...worker, container_id: oomKilledWorkerId, labels: workerLabels },
        ips: ['10.244.3.58'],
      },
    ],
    tasks: [
      {
        key: `${workerUid}/worker/2`,
        state: 'oom_killed',
        sinceMs: at('2024-05-14T09:43:09Z'),
        reason: 'OOMKilled',
        exitCode: 137,
        dimensions: { ...worker, container_id: oomKilledWorkerId, labels: workerLabels },
      },
      {
        key: `${workerUid}/worker/3`,
        state: 'starting',
        reason: 'CrashLoopBackOff',
        dimensions: { ...worker, labels: workerLabels },
      },
    ],
  },
  'job-completed': {
    containers: [
      {
        containerId: reportId,
        dimensions: { ...report, container_id: reportId, labels: reportLabels },
        ips: ['10.244.3.90'],
      },
    ],
    tasks: [
      {
        key: `${reportUid}/report/0`,
        state: 'finished',
        sinceMs: at('2024-05-14T06:07:41Z'),
        reason: 'Completed',
        exitCode: 0,
        dimensions: { ...report, container_id: reportId, labels: reportLabels },
      },
    ],
  },
  evicted: {
    containers: [
      {
        containerId: redisId,
        dimensions: { ...cache, container_id: redisId, labels: cacheLabels },
        ips: [],
      },
    ],
    tasks: [
      {
        key: `${cacheUid}/redis/0`,
        state: 'lost',
        sinceMs: at('2024-05-14T07:12:05Z'),
        reason: 'Evicted',
        exitCode: 137,
        dimensions: { ...cache, container_id: redisId, labels: cacheLabels },
      },
    ],
  },
  pending: {
    containers: [],
    tasks: [
      {
        key: `${webUid}/migrate/0`,
        state: 'staging',
        dimensions: { ...web, labels: { ...webLabels, container_name: 'migrate' } },
      },
      {
        key: `${webUid}/web/0`,
        state: 'staging',
        dimensions: { ...web, labels: { ...webLabels, container_name: 'web' } },
      },
    ],
  },
};
