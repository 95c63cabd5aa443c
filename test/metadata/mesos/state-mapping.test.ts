import { describe, expect, it } from 'vitest';
import { MetadataError } from '../../../agent/metadata/provider.js';
import { mapAgentState } from '../../../agent/metadata/providers/mesos/state-mapping.js';
import { fixture, RICH_SNAPSHOT, RICH_SNAPSHOT_WITHOUT_CONTAINERS, SAMPLE_SNAPSHOT } from './expected.js';

function mapWithSkips(state: unknown, containers: unknown, clusterId?: string) {
  const skipped: string[] = [];
  const snapshot = mapAgentState(state, containers, {
    clusterId,
    onSkipped: (reason) => skipped.push(reason),
  });
  return { snapshot, skipped };
}

describe('Mesos /state mapping, shared agent samples', () => {
  it('links the task to the container its status reports, not the executor container field', () => {
    expect(mapWithSkips(fixture('agent-state.json'), fixture('container-metrics.json'))).toEqual({
      snapshot: SAMPLE_SNAPSHOT,
      skipped: [],
    });
  });

  it('leaves out a /containers entry of an executor the agent state does not list, and counts it', () => {
    expect(
      mapWithSkips(fixture('agent-state.json'), fixture('container-metrics-no-statistics.json')),
    ).toEqual({
      snapshot: SAMPLE_SNAPSHOT,
      skipped: ['unmatched_container'],
    });
  });
});

describe('Mesos /state mapping, rich agent state', () => {
  it('maps frameworks, executors, tasks and containers of every kind', () => {
    expect(
      mapWithSkips(fixture('rich-agent-state.json'), fixture('rich-containers.json'), 'prod-east'),
    ).toEqual({ snapshot: RICH_SNAPSHOT, skipped: ['unmatched_container'] });
  });

  it('without /containers keeps the containers task statuses link', () => {
    expect(mapWithSkips(fixture('rich-agent-state.json'), undefined, 'prod-east')).toEqual({
      snapshot: RICH_SNAPSHOT_WITHOUT_CONTAINERS,
      skipped: [],
    });
  });

  it('reads a /containers body that is not a list as no containers, and counts it', () => {
    expect(mapWithSkips(fixture('rich-agent-state.json'), { containers: [] }, 'prod-east')).toEqual({
      snapshot: RICH_SNAPSHOT_WITHOUT_CONTAINERS,
      skipped: ['containers_malformed'],
    });
  });

  it('gives every container and task its own labels object, for the label filters to edit', () => {
    const { snapshot } = mapWithSkips(fixture('rich-agent-state.json'), fixture('rich-containers.json'));
    const containerLabels = snapshot.containers[0]!.dimensions.labels!;
    containerLabels.team = 'edited';
    expect(snapshot.tasks[0]!.dimensions.labels).toEqual({
      team: 'payments',
      tier: 'frontend',
      version: '1.4.2',
    });
  });

  it('leaves the node without cluster_id when none is configured', () => {
    expect(mapWithSkips(fixture('rich-agent-state.json'), undefined).snapshot.node).toEqual({
      agent_id: '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-S3',
      hostname: '10.0.3.17',
    });
  });
});

describe('Mesos /state mapping, wrong shapes', () => {
  const BROKEN = '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-0003';
  const executorE1 = {
    framework_id: BROKEN,
    framework_name: 'broken',
    framework_role: '*',
    executor_id: 'e1',
  };
  const fine = {
    ...executorE1,
    task_id: 'fine.1',
    task_name: 'fine',
    labels: { ok: '1', valueless: '' },
    container_id: 'c-fine',
  };

  it('skips and counts each odd item, and maps the rest', () => {
    expect(mapWithSkips(fixture('broken-agent-state.json'), fixture('broken-containers.json'))).toEqual({
      snapshot: {
        node: { agent_id: '8c5e2f61-3b4d-4a9e-9f1a-2d7c6b5a4e30-S3', hostname: '10.0.3.17' },
        containers: [
          { containerId: 'c-fine', dimensions: fine, ips: ['10.9.9.9'] },
          // e1 has two tasks (mystery.1, fine.1): the executor's dimensions only.
          { containerId: 'c-other', dimensions: { ...executorE1, container_id: 'c-other' }, ips: [] },
        ],
        tasks: [{ key: `${BROKEN}/fine.1`, state: 'running', sinceMs: 1700000000000, dimensions: fine }],
      },
      skipped: [
        'framework_not_object',
        'framework_without_id',
        'executor_not_object',
        'labels_not_array',
        'task_not_object',
        'task_without_id',
        'statuses_not_array',
        'status_not_object',
        'malformed_label',
        'malformed_label',
        'completed_tasks_not_array',
        'completed_executors_not_array',
        'completed_frameworks_not_array',
        'container_not_object',
        'container_without_id',
        'unknown_task_state',
      ],
    });
  });

  it.each([
    ['a string', 'Service Unavailable'],
    ['null', null],
    ['a list', []],
    ['an object without frameworks', { id: 'S1', hostname: 'h' }],
    ['frameworks that are not a list', { id: 'S1', frameworks: {} }],
  ])('refuses a /state body that is %s as malformed', (_what, body) => {
    let thrown: unknown;
    try {
      mapAgentState(body, [], { onSkipped: () => {} });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MetadataError);
    expect((thrown as MetadataError).reason).toBe('malformed');
  });

  it('keeps the first of a task listed twice and counts the other', () => {
    const framework = 'f-0000';
    const task = (state: string) => ({
      id: 't1',
      name: 't',
      executor_id: '',
      state,
      statuses: [{ state, timestamp: state === 'TASK_RUNNING' ? 10 : 20 }],
    });
    const state = {
      id: 'S1',
      hostname: 'h1',
      frameworks: [
        {
          id: framework,
          name: 'f',
          role: 'r',
          executors: [{ id: 't1', tasks: [task('TASK_RUNNING')], completed_tasks: [task('TASK_FINISHED')] }],
        },
      ],
    };
    const dimensions = {
      framework_id: framework,
      framework_name: 'f',
      framework_role: 'r',
      executor_id: 't1',
      task_id: 't1',
      task_name: 't',
    };
    expect(mapWithSkips(state, [])).toEqual({
      snapshot: {
        node: { agent_id: 'S1', hostname: 'h1' },
        containers: [],
        tasks: [{ key: `${framework}/t1`, state: 'running', sinceMs: 10000, dimensions }],
      },
      skipped: ['duplicate_task'],
    });
  });

  it('falls back to task.state when no status has a known state, and to the task id for a command executor', () => {
    const state = {
      frameworks: [
        {
          id: 'f',
          completed_executors: [
            {
              tasks: [
                {
                  id: 'cmd',
                  executor_id: '',
                  state: 'TASK_KILLED',
                  statuses: [{ state: 'TASK_NEW_IN_2030', timestamp: 5 }],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(mapWithSkips(state, undefined)).toEqual({
      snapshot: {
        node: {},
        containers: [],
        tasks: [
          {
            key: 'f/cmd',
            state: 'killed',
            dimensions: { framework_id: 'f', executor_id: 'cmd', task_id: 'cmd' },
          },
        ],
      },
      skipped: [],
    });
  });
});
