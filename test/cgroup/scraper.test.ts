import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CgroupScraper } from '../../agent/sources/cgroup/scraper.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

const FILES = join(import.meta.dirname, '..', 'fixtures', 'cgroup-files');
const DOCKER_ID = 'a'.repeat(12) + 'b'.repeat(52);
const log = new RateLimitedLog(pino({ level: 'silent' }));

function find(points: Datapoint[], name: string, tags: Record<string, string> = {}): Datapoint | undefined {
  return points.find((p) => p.name === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}

/** A v2 root with one Docker container (the v2/normal fixture) and a systemd service. */
function makeTree(root: string): string {
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  const container = join(root, 'system.slice', `docker-${DOCKER_ID}.scope`);
  mkdirSync(container, { recursive: true });
  cpSync(join(FILES, 'v2', 'normal'), container, { recursive: true });
  mkdirSync(join(root, 'system.slice', 'cron.service'));
  return container;
}

// Every case runs with files opened on each read and with them kept open between scrapes.
describe.each([
  { keep: 'open and close', openFiles: 0 },
  { keep: 'kept open', openFiles: 1000 },
])('cgroup scraper, files $keep', ({ openFiles }) => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'corral-cgroup-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('reads each container into datapoints with its id, runtime and cgroup path', async () => {
    makeTree(root);
    const scraper = new CgroupScraper(
      { root, systemdServices: 'auto', procRoot: join(FILES, 'proc'), openFiles },
      log,
      'node-1',
    );
    const points = await scraper.scrape(60_000);
    expect(scraper.containers).toBe(1);
    expect(find(points, 'container.memory.usage')).toEqual({
      name: 'container.memory.usage',
      kind: 'gauge',
      value: 268_435_456,
      unit: 'bytes',
      timeMs: 60_000,
      containerId: DOCKER_ID,
      tags: { host: 'node-1', runtime: 'docker', cgroup_path: `/system.slice/docker-${DOCKER_ID}.scope` },
    });
    expect(find(points, 'container.memory.working_set')?.value).toBe(184_549_376);
    expect(find(points, 'container.cpu.limit')?.value).toBe(1.5);
    expect(find(points, 'container.pids.limit')?.value).toBe(1024);
    expect(find(points, 'container.memory.percent_of_limit')?.value).toBe(50);
    // Counters need a second reading; cpu percent of limit needs the usage rate.
    expect(find(points, 'container.cpu.usage')).toBeUndefined();
    expect(find(points, 'container.cpu.percent_of_limit')).toBeUndefined();
    // Systemd services are not tasks while a container runtime is present (auto).
    expect(points.every((p) => p.containerId === DOCKER_ID)).toBe(true);
  });

  it('sends cumulative counters as increases from the second scrape on, per device and interface', async () => {
    const container = makeTree(root);
    const scraper = new CgroupScraper(
      { root, systemdServices: 'never', procRoot: join(FILES, 'proc'), openFiles },
      log,
    );
    await scraper.scrape(0);
    // 10 more cpu seconds (usage_usec +10 000 000) before the next scrape.
    writeFileSync(
      join(container, 'cpu.stat'),
      'usage_usec 133456789\nuser_usec 105000000\nsystem_usec 28456789\nnr_periods 5000\nnr_throttled 120\nthrottled_usec 3456789\n',
    );
    const points = await scraper.scrape(10_000);
    const usage = find(points, 'container.cpu.usage')!;
    expect(usage.kind).toBe('counter');
    expect(usage.value).toBeCloseTo(10, 9);
    expect(usage.rate).toBeGreaterThan(0);
    expect(find(points, 'container.cpu.percent_of_limit')!.value).toBeCloseTo((usage.rate! / 1.5) * 100, 9);
    expect(find(points, 'container.io.read_bytes', { device: 'total' })).toMatchObject({
      kind: 'counter',
      value: 0,
    });
    expect(find(points, 'container.io.read_bytes', { device: '259:0' })).toMatchObject({
      kind: 'counter',
      value: 0,
    });
    expect(find(points, 'container.network.tx_bytes', { interface: 'eth0' })).toMatchObject({
      kind: 'counter',
      value: 0,
    });
    expect(find(points, 'container.network.rx_bytes', { interface: 'lo' })).toBeUndefined();
  });

  it('reports systemd services as tasks when no container runtime is found (auto)', async () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory\n');
    mkdirSync(join(root, 'system.slice', 'cron.service'), { recursive: true });
    writeFileSync(join(root, 'system.slice', 'cron.service', 'memory.current'), '4096\n');
    const scraper = new CgroupScraper({ root, systemdServices: 'auto', procRoot: '/proc', openFiles }, log);
    const points = await scraper.scrape(0);
    expect(scraper.containers).toBe(1);
    expect(find(points, 'container.memory.usage')).toMatchObject({
      value: 4096,
      containerId: 'cron.service',
      tags: { runtime: 'systemd' },
    });
    // The files it could not find are counted, not thrown.
    expect([...scraper.problems.counts.values()].some((p) => p.reason === 'missing')).toBe(true);
  });

  it('drops a container removed since the last scrape, without an error', async () => {
    const container = makeTree(root);
    const scraper = new CgroupScraper(
      { root, systemdServices: 'never', procRoot: join(FILES, 'proc'), openFiles },
      log,
    );
    await scraper.scrape(0);
    rmSync(container, { recursive: true });
    const points = await scraper.scrape(10_000);
    expect(points).toEqual([]);
    expect(scraper.containers).toBe(0);
    // The gone container's descriptors are closed with it.
    expect(scraper.openFiles).toBe(0);
  });

  it('keeps up to openFiles descriptors between scrapes and closes them all on close()', async () => {
    makeTree(root);
    const scraper = new CgroupScraper(
      { root, systemdServices: 'never', procRoot: join(FILES, 'proc'), openFiles },
      log,
    );
    await scraper.scrape(0);
    // v2/normal's 13 stat files, cgroup.procs (kept on v2 only) and the member's net/dev.
    expect(scraper.openFiles).toBe(Math.min(openFiles, 15));
    scraper.close();
    expect(scraper.openFiles).toBe(0);
  });
});
