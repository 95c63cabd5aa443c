/**
 * `npm run bench:cgroup`: generates cgroup trees of 1,000 containers (v2, and v1 with five
 * controller hierarchies) from the fixture files, scrapes them with the real CgroupScraper,
 * and prints JSON: CPU time per container per scrape (target <= 50 µs) and each scrape's
 * wall time. Generated trees are plain files on disk (the page cache); where the bench runs as
 * root on a machine with v1 hierarchies it also creates 1,000 real cgroups and scrapes the
 * kernel's own files ("live"), which is what an agent pays in production.
 */
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

const LIVE_ROOT = '/sys/fs/cgroup';
const LIVE_PARENT = 'corral-bench';
const LIVE_PATTERN = { runtime: 'docker', regex: /^\/corral-bench\/docker\/(?<id>[0-9a-f]{64})$/ };

/** Real v1 cgroups need root and writable controller hierarchies (not a v2-only host). */
function canMakeLive(): boolean {
  try {
    for (const c of V1_CONTROLLERS) accessSync(join(LIVE_ROOT, c, 'tasks'), constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** Creates empty cgroups in each hierarchy (no member process, so no net/dev read). */
function makeLive(): () => void {
  const dirs: string[] = [];
  for (const controller of V1_CONTROLLERS) {
    for (let i = 0; i < CONTAINERS; i++) {
      const dir = join(LIVE_ROOT, controller, LIVE_PARENT, 'docker', dockerId(i));
      mkdirSync(dir, { recursive: true });
      dirs.push(dir);
    }
  }
  return () => {
    for (const dir of dirs) rmdirSync(dir);
    for (const controller of V1_CONTROLLERS) {
      for (const dir of ['docker', '']) {
        const path = join(LIVE_ROOT, controller, LIVE_PARENT, dir);
        if (existsSync(path)) rmdirSync(path);
      }
    }
  };
}

/** The agent's defaults, and the most conservative settings (nothing kept, a walk every scrape). */
const SETTINGS = {
  default: { openFiles: 1_000_000, rescan: 'events' },
  conservative: { openFiles: 0, rescan: 'interval' },
} as const;

async function measure(layout: 'v2' | 'v1' | 'live-v1', settings: keyof typeof SETTINGS) {
  const { openFiles, rescan } = SETTINGS[settings];
  const live = layout === 'live-v1';
  const root = live ? LIVE_ROOT : mkdtempSync(join(tmpdir(), `corral-bench-cgroup-${layout}-`));
  let cleanUp = () => rmSync(root, { recursive: true, force: true });
  try {
    if (live) cleanUp = makeLive();
    else if (layout === 'v2') makeV2(root);
    else makeV1(root);
    const log = new RateLimitedLog(pino({ level: 'silent' }));
    const scraper = new CgroupScraper(
      {
        root,
        systemdServices: 'never',
        procRoot: join(FIXTURES, 'proc'),
        openFiles,
        rescan,
        patterns: live ? [LIVE_PATTERN] : [],
      },
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
    const keptFiles = scraper.openFiles;
    scraper.close();
    return {
      layout,
      settings,
      keptFiles,
      walks: scraper.walks,
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
    cleanUp();
  }
}

const results = [
  await measure('v2', 'default'),
  await measure('v1', 'default'),
  await measure('v2', 'conservative'),
  await measure('v1', 'conservative'),
];
if (canMakeLive())
  results.push(await measure('live-v1', 'default'), await measure('live-v1', 'conservative'));
process.stdout.write(`${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
