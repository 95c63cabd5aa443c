import { describe, expect, it } from 'vitest';
import type { DockerContainerState } from '../../../agent/metadata/providers/docker/api.js';
import { dockerTimeMs, stoppedState, taskStateOf } from '../../../agent/metadata/providers/docker/state.js';

describe('taskStateOf', () => {
  it.each([
    [{ Status: 'created' }, 'staging'],
    [{ Status: 'restarting' }, 'starting'],
    [{ Status: 'running' }, 'running'],
    [{ Status: 'paused' }, 'running'],
    [{ Status: 'exited', ExitCode: 0, OOMKilled: false }, 'finished'],
    [{ Status: 'exited', ExitCode: 1, OOMKilled: false }, 'failed'],
    [{ Status: 'exited', ExitCode: 137, OOMKilled: false }, 'killed'],
    [{ Status: 'exited', ExitCode: 143, OOMKilled: false }, 'killed'],
    [{ Status: 'exited', ExitCode: 137, OOMKilled: true }, 'oom_killed'],
    [{ Status: 'dead', ExitCode: 255 }, 'failed'],
    [{ Status: 'removing' }, undefined],
    [{ Status: 'frozen' }, undefined],
  ] as [DockerContainerState, string | undefined][])('%o -> %s', (state, expected) => {
    expect(taskStateOf(state)).toBe(expected);
  });
});

describe('stoppedState', () => {
  it('maps exit codes, OOM first', () => {
    expect([0, 1, 2, 126, 127, 130, 137, 143, 255].map((code) => stoppedState(code, false))).toEqual([
      'finished',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
      'killed',
      'killed',
      'failed',
    ]);
    expect(stoppedState(0, true)).toBe('oom_killed');
    expect(stoppedState(137, true)).toBe('oom_killed');
  });
});

describe('dockerTimeMs', () => {
  it('parses RFC 3339 with nanoseconds to whole ms', () => {
    expect(dockerTimeMs('2025-03-14T08:02:11.418275064Z')).toBe(Date.UTC(2025, 2, 14, 8, 2, 11, 418));
    expect(dockerTimeMs('2025-03-14T09:02:11.5+01:00')).toBe(Date.UTC(2025, 2, 14, 8, 2, 11, 500));
  });

  it("treats Docker's zero time, empty and unparsable text as unknown", () => {
    expect(dockerTimeMs('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(dockerTimeMs('')).toBeUndefined();
    expect(dockerTimeMs(undefined)).toBeUndefined();
    expect(dockerTimeMs('yesterday')).toBeUndefined();
  });
});
