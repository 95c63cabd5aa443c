import { describe, expect, it } from 'vitest';
import { exitCodeOf, taskStateOf } from '../../../agent/metadata/providers/mesos/task-states.js';

describe('Mesos task states', () => {
  it('maps every Mesos TaskState to its normalized state', () => {
    const states = [
      'TASK_STAGING',
      'TASK_STARTING',
      'TASK_RUNNING',
      'TASK_KILLING',
      'TASK_FINISHED',
      'TASK_FAILED',
      'TASK_ERROR',
      'TASK_KILLED',
      'TASK_LOST',
      'TASK_DROPPED',
      'TASK_GONE',
      'TASK_GONE_BY_OPERATOR',
      'TASK_UNREACHABLE',
      'TASK_UNKNOWN',
    ];
    expect(Object.fromEntries(states.map((state) => [state, taskStateOf(state)]))).toEqual({
      TASK_STAGING: 'staging',
      TASK_STARTING: 'starting',
      TASK_RUNNING: 'running',
      TASK_KILLING: 'running',
      TASK_FINISHED: 'finished',
      TASK_FAILED: 'failed',
      TASK_ERROR: 'failed',
      TASK_KILLED: 'killed',
      TASK_LOST: 'lost',
      TASK_DROPPED: 'lost',
      TASK_GONE: 'lost',
      TASK_GONE_BY_OPERATOR: 'lost',
      TASK_UNREACHABLE: 'lost',
      TASK_UNKNOWN: 'lost',
    });
  });

  it('leaves states it does not know undefined, inherited object keys included', () => {
    expect(taskStateOf('TASK_WEIRD')).toBeUndefined();
    expect(taskStateOf('toString')).toBeUndefined();
    expect(taskStateOf('')).toBeUndefined();
  });

  it('calls a failure or kill by the memory limit oom_killed, by reason or by message', () => {
    expect(taskStateOf('TASK_FAILED', 'REASON_CONTAINER_LIMITATION_MEMORY')).toBe('oom_killed');
    expect(taskStateOf('TASK_KILLED', 'REASON_CONTAINER_LIMITATION_MEMORY')).toBe('oom_killed');
    expect(
      taskStateOf('TASK_KILLED', 'REASON_CONTAINER_LIMITATION', 'Memory limit exceeded: Requested: 64MB'),
    ).toBe('oom_killed');
    expect(taskStateOf('TASK_FAILED', undefined, 'memory limit exceeded')).toBe('oom_killed');
  });

  it('keeps other states as they are even with a memory reason', () => {
    expect(taskStateOf('TASK_RUNNING', 'REASON_CONTAINER_LIMITATION_MEMORY')).toBe('running');
    expect(taskStateOf('TASK_LOST', 'REASON_CONTAINER_LIMITATION_MEMORY')).toBe('lost');
    expect(taskStateOf('TASK_FAILED', 'REASON_CONTAINER_LIMITATION_DISK', 'Disk usage exceeded')).toBe(
      'failed',
    );
    expect(taskStateOf('TASK_KILLED', 'REASON_TASK_KILLED_DURING_LAUNCH')).toBe('killed');
  });

  it('reads the exit code from the executor message', () => {
    expect(exitCodeOf('Command exited with status 137')).toBe(137);
    expect(exitCodeOf('Command exited with status 0')).toBe(0);
    expect(exitCodeOf('Container exited with status 1')).toBe(1);
    expect(exitCodeOf('Command terminated with signal Killed')).toBeUndefined();
    expect(exitCodeOf(undefined)).toBeUndefined();
  });
});
