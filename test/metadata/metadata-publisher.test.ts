import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataPublisher } from '../../agent/metadata/metadata-publisher.js';
import type { Dimensions } from '../../lib/model/dimensions.js';

const web: Readonly<Dimensions> = Object.freeze({ container_id: 'c-web', task_name: 'web', hostname: 'n1' });
const db: Readonly<Dimensions> = Object.freeze({ container_id: 'c-db', task_name: 'db', hostname: 'n1' });

describe('MetadataPublisher', () => {
  let dir = '';
  let file = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-published-'));
    file = join(dir, 'metadata-published.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes new and changed containers once, and removals', () => {
    const publisher = new MetadataPublisher(file);
    expect(
      publisher.changes(
        [
          ['c-web', web],
          ['c-db', db],
        ],
        1000,
      ),
    ).toEqual([
      { containerId: 'c-web', dimensions: web, updatedMs: 1000, removed: false },
      { containerId: 'c-db', dimensions: db, updatedMs: 1000, removed: false },
    ]);
    // Same dimension objects: nothing to say.
    expect(
      publisher.changes(
        [
          ['c-web', web],
          ['c-db', db],
        ],
        2000,
      ),
    ).toEqual([]);
    const relabelled = Object.freeze({ ...web, labels: { team: 'a' } });
    expect(publisher.changes([['c-web', relabelled]], 3000)).toEqual([
      { containerId: 'c-web', dimensions: relabelled, updatedMs: 3000, removed: false },
      { containerId: 'c-db', dimensions: db, updatedMs: 3000, removed: true },
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, containers: ['c-web'] });
  });

  it('after a restart, publishes every live container again and removes those gone meanwhile', () => {
    new MetadataPublisher(file).changes(
      [
        ['c-web', web],
        ['c-db', db],
      ],
      1000,
    );
    const restarted = new MetadataPublisher(file);
    expect(restarted.changes([['c-web', web]], 5000)).toEqual([
      { containerId: 'c-web', dimensions: web, updatedMs: 5000, removed: false },
      { containerId: 'c-db', dimensions: { container_id: 'c-db' }, updatedMs: 5000, removed: true },
    ]);
  });

  it('sets a corrupt state file aside and starts afresh', () => {
    writeFileSync(file, '{"version":1,"contai');
    const publisher = new MetadataPublisher(file);
    expect(publisher.loadProblem).toMatch(/not JSON; moved to .*metadata-published\.json\.corrupt/);
    expect(existsSync(`${file}.corrupt`)).toBe(true);
    expect(publisher.changes([['c-web', web]], 1000)).toHaveLength(1);
  });
});
