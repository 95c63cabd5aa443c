import { describe, expect, it } from 'vitest';
import {
  type RunState,
  runStateOf,
  terminatedRunState,
} from '../../../agent/metadata/providers/kubernetes/container-state.js';

const startedAt = '2024-05-14T09:00:04Z';
const finishedAt = '2024-05-14T09:43:09Z';

describe('runStateOf', () => {
  const cases: [string, Record<string, unknown> | undefined, RunState][] = [
    ['no state yet', undefined, { state: 'staging' }],
    ['an empty state', {}, { state: 'staging' }],
    ['waiting without a reason', { waiting: {} }, { state: 'staging' }],
    [
      'waiting ContainerCreating',
      { waiting: { reason: 'ContainerCreating' } },
      { state: 'staging', reason: 'ContainerCreating' },
    ],
    [
      'waiting PodInitializing',
      { waiting: { reason: 'PodInitializing' } },
      { state: 'staging', reason: 'PodInitializing' },
    ],
    [
      'waiting CrashLoopBackOff',
      { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      { state: 'starting', reason: 'CrashLoopBackOff' },
    ],
    [
      'waiting ErrImagePull',
      { waiting: { reason: 'ErrImagePull' } },
      { state: 'starting', reason: 'ErrImagePull' },
    ],
    [
      'waiting CreateContainerConfigError',
      { waiting: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' } },
      { state: 'starting', reason: 'CreateContainerConfigError' },
    ],
    ['running', { running: { startedAt } }, { state: 'running', sinceMs: Date.parse(startedAt) }],
    ['running without startedAt', { running: {} }, { state: 'running' }],
    ['running with an unparsable startedAt', { running: { startedAt: 'yesterday' } }, { state: 'running' }],
    [
      'terminated Completed 0',
      { terminated: { exitCode: 0, reason: 'Completed', finishedAt } },
      { state: 'finished', reason: 'Completed', exitCode: 0, sinceMs: Date.parse(finishedAt) },
    ],
    [
      'terminated OOMKilled 137',
      { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt } },
      { state: 'oom_killed', reason: 'OOMKilled', exitCode: 137, sinceMs: Date.parse(finishedAt) },
    ],
    [
      'terminated Error 137 (SIGKILL, no OOM)',
      { terminated: { exitCode: 137, reason: 'Error', finishedAt } },
      { state: 'killed', reason: 'Error', exitCode: 137, sinceMs: Date.parse(finishedAt) },
    ],
    [
      'terminated Error 143 (SIGTERM)',
      { terminated: { exitCode: 143, reason: 'Error', finishedAt } },
      { state: 'killed', reason: 'Error', exitCode: 143, sinceMs: Date.parse(finishedAt) },
    ],
    [
      'terminated Error 1',
      { terminated: { exitCode: 1, reason: 'Error', finishedAt } },
      { state: 'failed', reason: 'Error', exitCode: 1, sinceMs: Date.parse(finishedAt) },
    ],
    [
      'terminated ContainerCannotRun 128',
      { terminated: { exitCode: 128, reason: 'ContainerCannotRun' } },
      { state: 'failed', reason: 'ContainerCannotRun', exitCode: 128 },
    ],
    ['terminated without an exit code', { terminated: {} }, { state: 'failed' }],
    [
      'terminated wins over a stale waiting',
      { waiting: { reason: 'ContainerCreating' }, terminated: { exitCode: 0 } },
      { state: 'finished', exitCode: 0 },
    ],
  ];

  it.each(cases)('%s', (_name, containerState, expected) => {
    expect(runStateOf(containerState)).toEqual(expected);
  });

  it('leaves absent fields out rather than set to undefined', () => {
    expect(Object.keys(runStateOf({ running: {} }))).toEqual(['state']);
    expect(Object.keys(terminatedRunState({ exitCode: 2 }))).toEqual(['state', 'exitCode']);
  });
});
