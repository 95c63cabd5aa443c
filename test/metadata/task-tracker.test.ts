import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskObservation } from '../../agent/metadata/provider.js';
import { TaskTracker } from '../../agent/metadata/task-tracker.js';
import type { TaskStateName } from '../../lib/model/dimensions.js';

const dims = { task_id: 't1' };
const seen = (key: string, state: TaskStateName, extra: Partial<TaskObservation> = {}): TaskObservation => ({
  key,
  state,
  dimensions: dims,
  ...extra,
});

describe('TaskTracker', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-tasks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('emits exactly one event per transition of a scripted sequence, however often each state is polled', () => {
    const tracker = new TaskTracker(null);
    const script: TaskStateName[] = [
      'staging',
      'staging',
      'starting',
      'running',
      'running',
      'running',
      'failed',
      'failed',
    ];
    const events = script
      .map((state, i) => tracker.observe(seen('t1', state, { sinceMs: i * 1000 }), dims, 99))
      .filter((e) => e !== undefined);
    expect(events.map((e) => [e.previousState, e.state, e.timeMs])).toEqual([
      ['', 'staging', 0],
      ['staging', 'starting', 2000],
      ['starting', 'running', 3000],
      ['running', 'failed', 6000],
    ]);
  });

  it('never steps back from a terminal state (a stale poll after the stream reported the exit)', () => {
    const tracker = new TaskTracker(null);
    tracker.observe(seen('t1', 'running'), dims, 1);
    expect(
      tracker.observe(seen('t1', 'oom_killed', { reason: 'OOMKilled', exitCode: 137 }), dims, 2),
    ).toEqual({
      timeMs: 2,
      state: 'oom_killed',
      previousState: 'running',
      reason: 'OOMKilled',
      exitCode: 137,
      dimensions: dims,
    });
    expect(tracker.observe(seen('t1', 'running'), dims, 3)).toBeUndefined();
    // But one terminal state may correct another (killed, then the poll says oom_killed).
    expect(tracker.observe(seen('t1', 'failed'), dims, 4)?.state).toBe('failed');
  });

  it('takes a terminal task back to running when it started again after it ended (docker restart)', () => {
    const tracker = new TaskTracker(null);
    tracker.observe(seen('c1', 'running', { sinceMs: 1000 }), dims, 0);
    tracker.observe(seen('c1', 'failed', { sinceMs: 5000, exitCode: 1 }), dims, 0);
    // A poll that still shows the run before the failure: stale.
    expect(tracker.observe(seen('c1', 'running', { sinceMs: 1000 }), dims, 0)).toBeUndefined();
    // Started again by its restart policy.
    expect(tracker.observe(seen('c1', 'running', { sinceMs: 9000 }), dims, 0)).toMatchObject({
      state: 'running',
      previousState: 'failed',
      timeMs: 9000,
    });
  });

  it('survives a restart: states saved to the file are not emitted again', () => {
    const file = join(dir, 'tasks.json');
    const first = new TaskTracker(file);
    first.beginRefresh();
    first.observe(seen('a', 'running'), dims, 1);
    first.observe(seen('b', 'finished'), dims, 1);
    first.endRefresh();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      tasks: { a: { state: 'running' }, b: { state: 'finished' } },
    });
    const second = new TaskTracker(file);
    expect(second.observe(seen('a', 'running'), dims, 2)).toBeUndefined();
    expect(second.observe(seen('b', 'finished'), dims, 2)).toBeUndefined();
    expect(second.observe(seen('a', 'killed'), dims, 2)?.previousState).toBe('running');
  });

  it('moves a corrupt state file aside and starts afresh instead of failing', () => {
    const file = join(dir, 'tasks.json');
    writeFileSync(file, '{"version":1,"tasks":{"a":"runn');
    const tracker = new TaskTracker(file);
    expect(tracker.loadProblem).toContain('not JSON');
    expect(readFileSync(`${file}.corrupt`, 'utf8')).toContain('runn');
    expect(tracker.observe(seen('a', 'running'), dims, 1)?.state).toBe('running');
  });

  it('forgets tasks the provider stopped listing after 120 refreshes', () => {
    const tracker = new TaskTracker(null);
    tracker.beginRefresh();
    tracker.observe(seen('gone', 'finished'), dims, 1);
    tracker.endRefresh();
    for (let i = 0; i < 120; i++) {
      tracker.beginRefresh();
      tracker.endRefresh();
    }
    expect(tracker.size).toBe(1);
    tracker.beginRefresh();
    tracker.endRefresh();
    expect(tracker.size).toBe(0);
  });
});
