import { readFileSync } from 'node:fs';
import type { MetadataSnapshot } from '../../../agent/metadata/provider.js';
import type { Dimensions } from '../../../lib/model/dimensions.js';

/** A fixture of test/fixtures/metadata/mesos/ (README.md there says what each one shows). */
export function fixtureText(name: string): string {
  return readFileSync(new URL(`../../fixtures/metadata/mesos/${name}`, import.meta.url), 'utf8');
}

export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** The shared sample agent-state.json: one Marathon command task, no agent id or hostname. */
const SAMPLE_FOO: Dimensions = {
  framework_id: '5349f49b-68b3-4638-aab2-fc4ec845f993-0000',
  framework_name: 'marathon',
  framework_role: '*',
  executor_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  task_id: 'foo.124b1048-a17a-11e6-9182-080027fb5b88',
  task_name: 'foo',
  labels: { somekey: 'someval' },
  container_id: 'e4faacb2-f69f-4ea1-9d96-eb06fea75eef',
};

export const SAMPLE_SNAPSHOT: MetadataSnapshot = {
  node: {},
  containers: [{ containerId: 'e4faacb2-f69f-4ea1-9d96-eb06fea75eef', dimensions: SAMPLE_FOO, ips: [] }],
  tasks: [
    {
      key: '5349f49b-68b3-4638-aab2-fc4ec845f993-0000/foo.124b1048-a17a-11e6-9182-080027fb5b88',
      state: 'running',
      dimensions: SAMPLE_FOO,
    },
  ],
};

const AGENT = '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-S3';
const MARATHON = {
  framework_id: '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-0000',
  framework_name: 'marathon',
  framework_role: 'slave_public',
};
const JOBS = {
  framework_id: '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-0001',
  framework_name: 'jobs',
  framework_role: 'batch',
};
const CHRONOS = {
  framework_id: '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-0002',
  framework_name: 'chronos',
  framework_role: '*',
};

const WEB = 'web.6f0e1c2a-9d3b-11ee-8c90-0242ac120002';
const API = 'api.77aa10b2-9d3b-11ee-8c90-0242ac120002';
const BATCH = 'batch.9c1d2e3f-9d3c-11ee-8c90-0242ac120002';
const HOG = 'hog.1d2e3f40-9d3c-11ee-8c90-0242ac120002';
const GREEDY = 'greedy.2e3f4051-9d3c-11ee-8c90-0242ac120002';
const POD = 'instance-shop.0f3a6b7c-9d3d-11ee-8c90-0242ac120002';
const SOLO = 'instance-solo.5e6f7a8b-9d3d-11ee-8c90-0242ac120002';
const WAIT = 'instance-wait.7788990a-9d3d-11ee-8c90-0242ac120002';
const REPORT = 'report.3a4b5c6d-9d30-11ee-8c90-0242ac120002';
const CLEANUP = 'cleanup.4b5c6d7e-9d30-11ee-8c90-0242ac120002';

const C = {
  web: '4f1c9a2e-7b3d-4e8f-9a1b-2c3d4e5f6a01',
  api: '4f1c9a2e-7b3d-4e8f-9a1b-2c3d4e5f6a02',
  batch: '4f1c9a2e-7b3d-4e8f-9a1b-2c3d4e5f6a03',
  hog: '4f1c9a2e-7b3d-4e8f-9a1b-2c3d4e5f6a04',
  greedy: '4f1c9a2e-7b3d-4e8f-9a1b-2c3d4e5f6a05',
  pod: '9a8b7c6d-0000-4000-8000-00000000aaaa',
  app: '9a8b7c6d-0000-4000-8000-00000000aa01',
  sidecar: '9a8b7c6d-0000-4000-8000-00000000aa02',
  debug: '9a8b7c6d-0000-4000-8000-00000000aa03',
  soloParent: '9a8b7c6d-0000-4000-8000-00000000bbbb',
  solo: '9a8b7c6d-0000-4000-8000-00000000bb01',
  shared: '9a8b7c6d-0000-4000-8000-00000000cccc',
  report: '5d6e7f80-1111-4222-8333-444455556666',
};

/** Task dimensions of rich-agent-state.json, without container_id. */
const T = {
  web: {
    ...MARATHON,
    executor_id: WEB,
    task_id: WEB,
    task_name: 'web',
    labels: { team: 'payments', tier: 'frontend', version: '1.4.2' },
  },
  api: { ...MARATHON, framework_role: 'web', executor_id: API, task_id: API, task_name: 'api' },
  batch: { ...MARATHON, executor_id: BATCH, task_id: BATCH, task_name: 'batch' },
  hog: { ...MARATHON, executor_id: HOG, task_id: HOG, task_name: 'hog' },
  greedy: { ...MARATHON, executor_id: GREEDY, task_id: GREEDY, task_name: 'greedy' },
  app: {
    ...JOBS,
    executor_id: POD,
    task_id: 'shop.instance-0f3a6b7c.app',
    task_name: 'app',
    labels: { pod: 'shop', container: 'app' },
  },
  sidecar: {
    ...JOBS,
    framework_role: 'batch-sidecar',
    executor_id: POD,
    task_id: 'shop.instance-0f3a6b7c.sidecar',
    task_name: 'sidecar',
    labels: { pod: 'shop-override', container: 'sidecar' },
  },
  solo: { ...JOBS, executor_id: SOLO, task_id: 'solo.instance-5e6f7a8b.main', task_name: 'main' },
  wait: {
    ...JOBS,
    executor_id: WAIT,
    task_id: 'wait.instance-7788990a.main',
    task_name: 'main',
    labels: { queue: 'yes' },
  },
  jobA: {
    ...JOBS,
    executor_id: 'thermos-shared',
    task_id: 'job.a',
    task_name: 'a',
    labels: { executor: 'thermos' },
  },
  jobB: {
    ...JOBS,
    executor_id: 'thermos-shared',
    task_id: 'job.b',
    task_name: 'b',
    labels: { executor: 'thermos' },
  },
  report: { ...CHRONOS, executor_id: REPORT, task_id: REPORT, task_name: 'report' },
  cleanup: { ...CHRONOS, executor_id: CLEANUP, task_id: CLEANUP, task_name: 'cleanup' },
} satisfies Record<string, Dimensions>;

/** rich-agent-state.json joined with rich-containers.json, cluster id 'prod-east'. */
export const RICH_SNAPSHOT: MetadataSnapshot = {
  node: { cluster_id: 'prod-east', agent_id: AGENT, hostname: '10.0.3.17' },
  containers: [
    // The task status's addresses first, then the one only /containers reports.
    {
      containerId: C.web,
      dimensions: { ...T.web, container_id: C.web },
      ips: ['172.17.0.5', 'fd00::5', '172.17.0.99'],
    },
    { containerId: C.api, dimensions: { ...T.api, container_id: C.api }, ips: ['172.17.0.6'] },
    { containerId: C.batch, dimensions: { ...T.batch, container_id: C.batch }, ips: [] },
    { containerId: C.hog, dimensions: { ...T.hog, container_id: C.hog }, ips: [] },
    { containerId: C.greedy, dimensions: { ...T.greedy, container_id: C.greedy }, ips: [] },
    { containerId: C.app, dimensions: { ...T.app, container_id: C.app }, ips: ['9.0.0.1'] },
    { containerId: C.sidecar, dimensions: { ...T.sidecar, container_id: C.sidecar }, ips: ['9.0.0.1'] },
    { containerId: C.solo, dimensions: { ...T.solo, container_id: C.solo }, ips: [] },
    // Two tasks share the custom executor's container: executor-level dimensions.
    {
      containerId: C.shared,
      dimensions: {
        ...JOBS,
        executor_id: 'thermos-shared',
        labels: { executor: 'thermos' },
        container_id: C.shared,
      },
      ips: ['10.0.3.17'],
    },
    { containerId: C.report, dimensions: { ...T.report, container_id: C.report }, ips: [] },
    // From /containers only: the pod's executor container and a debug container nested in it.
    {
      containerId: C.pod,
      dimensions: { ...JOBS, executor_id: POD, labels: { pod: 'shop' }, container_id: C.pod },
      ips: ['9.0.0.1'],
    },
    {
      containerId: C.debug,
      dimensions: { ...JOBS, executor_id: POD, labels: { pod: 'shop' }, container_id: C.debug },
      ips: [],
    },
    // The executor container of a one-task pod carries that task.
    { containerId: C.soloParent, dimensions: { ...T.solo, container_id: C.soloParent }, ips: [] },
  ],
  tasks: [
    {
      key: `${MARATHON.framework_id}/${WEB}`,
      state: 'running',
      sinceMs: 1700000001250,
      dimensions: { ...T.web, container_id: C.web },
    },
    {
      key: `${MARATHON.framework_id}/${API}`,
      state: 'running',
      sinceMs: 1700000500500,
      dimensions: { ...T.api, container_id: C.api },
    },
    {
      key: `${MARATHON.framework_id}/${BATCH}`,
      state: 'failed',
      sinceMs: 1700000200500,
      reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      exitCode: 3,
      dimensions: { ...T.batch, container_id: C.batch },
    },
    {
      key: `${MARATHON.framework_id}/${HOG}`,
      state: 'oom_killed',
      sinceMs: 1700000400123,
      reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
      dimensions: { ...T.hog, container_id: C.hog },
    },
    {
      key: `${MARATHON.framework_id}/${GREEDY}`,
      state: 'oom_killed',
      sinceMs: 1700000420000,
      reason: 'REASON_CONTAINER_LIMITATION',
      dimensions: { ...T.greedy, container_id: C.greedy },
    },
    {
      key: `${JOBS.framework_id}/shop.instance-0f3a6b7c.app`,
      state: 'running',
      sinceMs: 1700000600750,
      dimensions: { ...T.app, container_id: C.app },
    },
    {
      key: `${JOBS.framework_id}/shop.instance-0f3a6b7c.sidecar`,
      state: 'starting',
      sinceMs: 1700000600500,
      dimensions: { ...T.sidecar, container_id: C.sidecar },
    },
    {
      key: `${JOBS.framework_id}/solo.instance-5e6f7a8b.main`,
      state: 'running',
      sinceMs: 1700000700000,
      dimensions: { ...T.solo, container_id: C.solo },
    },
    { key: `${JOBS.framework_id}/wait.instance-7788990a.main`, state: 'staging', dimensions: T.wait },
    {
      key: `${JOBS.framework_id}/job.a`,
      state: 'running',
      sinceMs: 1700000800000,
      dimensions: { ...T.jobA, container_id: C.shared },
    },
    {
      key: `${JOBS.framework_id}/job.b`,
      state: 'finished',
      sinceMs: 1700000790000,
      exitCode: 0,
      dimensions: { ...T.jobB, container_id: C.shared },
    },
    {
      key: `${CHRONOS.framework_id}/${REPORT}`,
      state: 'lost',
      sinceMs: 1699999100999,
      reason: 'REASON_AGENT_DISCONNECTED',
      dimensions: { ...T.report, container_id: C.report },
    },
    {
      key: `${CHRONOS.framework_id}/${CLEANUP}`,
      state: 'lost',
      reason: 'REASON_AGENT_REMOVED_BY_OPERATOR',
      dimensions: T.cleanup,
    },
  ],
};

/** RICH_SNAPSHOT when /containers could not be read: only what task statuses link. */
export const RICH_SNAPSHOT_WITHOUT_CONTAINERS: MetadataSnapshot = {
  ...RICH_SNAPSHOT,
  containers: RICH_SNAPSHOT.containers
    .filter((container) => ![C.pod, C.debug, C.soloParent].includes(container.containerId))
    .map((container) =>
      container.containerId === C.web ? { ...container, ips: ['172.17.0.5', 'fd00::5'] } : container,
    ),
};
