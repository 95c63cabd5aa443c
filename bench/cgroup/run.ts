/**
 * `npm run bench:cgroup`: generates cgroup trees of 1,000 containers (v2, and v1 with five
 * controller hierarchies) from the fixture files, scrapes them with the real CgroupScraper,
 * and prints JSON: CPU time per container per scrape (target <= 50 µs) and each scrape's
 * wall time. Files live on tmpfs-like storage here, so this measures our cost, not a disk.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CgroupScraper } from '../../agent/sources/cgroup/scraper.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';

const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 1000);
const SCRAPES = 10;
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'cgroup-files');
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'] as const;

function dockerId(i: number): string {
  return i.toString(16).padStart(64, '0');
}

function makeV2(root: string): void {
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  for (let i = 0; i < CONTAINERS; i++) {
    const dir = join(root, 'system.slice', `docker-${dockerId(i)}.scope`);
    mkdirSync(dir, { recursive: true });
    cpSync(join(FIXTURES, 'v2', 'normal'), dir, { recursive: true });
  }
}

function makeV1(root: string): void {
  for (const controller of V1_CONTROLLERS) {
    for (let i = 0; i < CONTAINERS; i++) {
      const dir = join(root, controller, 'docker', dockerId(i));
      mkdirSync(dir, { recursive: true });
      cpSync(join(FIXTURES, 'v1', controller, 'normal'), dir, { recursive: true });
      if (controller === 'memory') writeFileSync(join(dir, 'cgroup.procs'), '4242\n');
    }
  }
}

async function measure(layout: 'v2' | 'v1') {
  const root = mkdtempSync(join(tmpdir(), `corral-bench-cgroup-${layout}-`));
  try {
    if (layout === 'v2') makeV2(root);
    else makeV1(root);
    const log = new RateLimitedLog(pino({ level: 'silent' }));
    const scraper = new CgroupScraper(
      { root, systemdServices: 'never', procRoot: join(FIXTURES, 'proc') },
      log,
    );
    await scraper.scrape(0); // warm-up: JIT, first counter readings
    const walls: number[] = [];
    let datapoints = 0;
    const cpuBefore = process.cpuUsage();
    for (let s = 1; s <= SCRAPES; s++) {
      const started = performance.now();
      datapoints = (await scraper.scrape(s * 10_000)).length;
      walls.push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMicros = cpu.user + cpu.system;
    const perContainer = cpuMicros / (SCRAPES * scraper.containers);
    walls.sort((a, b) => a - b);
    return {
      layout,
      containers: scraper.containers,
      scrapes: SCRAPES,
      datapointsPerScrape: datapoints,
      cpuMicrosPerContainerPerScrape: Math.round(perContainer * 10) / 10,
      systemShare: Math.round((cpu.system / cpuMicros) * 100) / 100,
      scrapeWallMs: {
        median: Math.round(walls[SCRAPES >> 1]! * 10) / 10,
        max: Math.round(walls.at(-1)! * 10) / 10,
      },
      targetMicros: 50,
      pass: perContainer <= 50,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const results = [await measure('v2'), await measure('v1')];
process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
