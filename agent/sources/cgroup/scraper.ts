import { hostname } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Scraper } from '../../pipelines/scrape-loop.js';
import { CounterDeltas } from '../../transforms/counter-deltas/counter-deltas.js';
import { parseNetDev } from '../node/net-dev.js';
import { fieldMap, PointBuilder } from '../shared/point-builder.js';
import { ProblemCounts } from '../shared/problem-counts.js';
import { readSmallFile } from '../shared/read-small-file.js';
import { type DiscoveredContainer, discoverContainers } from './discovery.js';
import { CONTAINER_FIELD_SPECS, metricName } from './metric-names.js';
import { type CgroupLayout, detectLayout } from './mounts.js';
import { type ContainerPattern, DEFAULT_PATTERNS } from './patterns.js';
import { type CgroupStats, readCgroupV1, readCgroupV2 } from './readers/container.js';
import { CGROUP_FIELDS } from './readers/fields.js';
import type { V1Dirs } from './readers/files.js';
import { firstPid } from './readers/first-pid.js';

export interface CgroupScraperOptions {
  /** Root of the cgroup filesystem; "" detects it from /proc/self/mountinfo. */
  root: string;
  /** Report systemd services as tasks: auto does when no container runtime is found. */
  systemdServices: 'auto' | 'always' | 'never';
  /** Where procfs is, for /proc/<pid>/net/dev of a container's member process. */
  procRoot: string;
  /** Extra patterns, tried before the built-in ones. */
  patterns?: readonly ContainerPattern[];
}

/** Files are read synchronously (fast, ~5 µs each); hand the loop back every so many containers. */
const CONTAINERS_PER_SLICE = 32;

/** The fields read straight from CgroupStats by path ("memory.workingSet"); io and net go per device. */
const PLAIN_FIELDS = CGROUP_FIELDS.filter((f) => !f.name.startsWith('io.') && !f.name.startsWith('net.')).map(
  (f) => ({ path: f.name.split('.'), metric: metricName(f.name) }),
);
const IO_FIELDS = (['readBytes', 'writeBytes', 'readOps', 'writeOps'] as const).map((key) => ({
  key,
  metric: metricName(`io.${key}`),
}));
const FIELDS = fieldMap(CONTAINER_FIELD_SPECS);

/**
 * The cgroup source: every interval, discovers the containers (so new ones appear and gone
 * ones vanish within one interval) and reads each one's cgroup files into datapoints that
 * carry its container id, runtime and cgroup path.
 */
export class CgroupScraper implements Scraper {
  readonly name = 'cgroup';
  readonly problems = new ProblemCounts();
  /** Counter readings per container; a container's are dropped when it is gone. */
  private deltas = new Map<string, CounterDeltas>();
  /** Last scrape's containers by cgroup path: known ones skip the per-hierarchy stat. */
  private known = new Map<string, DiscoveredContainer>();
  private layout: CgroupLayout | undefined;
  /** Containers in the last scrape (corral_cgroup_containers). */
  containers = 0;
  private readonly patterns: readonly ContainerPattern[];

  constructor(
    private readonly options: CgroupScraperOptions,
    private readonly log: RateLimitedLog,
    private readonly host = hostname(),
  ) {
    this.patterns = [...(options.patterns ?? []), ...DEFAULT_PATTERNS];
  }

  async scrape(timeMs: number): Promise<Datapoint[]> {
    const layout = await this.currentLayout();
    const containers = await this.discover(layout);
    this.containers = containers.length;
    const deltas = new Map<string, CounterDeltas>();
    const points: Datapoint[] = [];
    for (let i = 0; i < containers.length; i++) {
      if (i > 0 && i % CONTAINERS_PER_SLICE === 0) await yieldToLoop();
      const container = containers[i]!;
      const own = this.deltas.get(container.id) ?? new CounterDeltas();
      deltas.set(container.id, own);
      own.begin();
      await this.scrapeContainer(layout, container, own, timeMs, points);
      own.sweep(); // devices and interfaces the container no longer has
    }
    this.deltas = deltas;
    this.known = new Map(containers.map((c) => [c.path, c]));
    return points;
  }

  private async currentLayout(): Promise<CgroupLayout> {
    this.layout ??= await detectLayout(this.options.root === '' ? {} : { cgroupRoot: this.options.root });
    return this.layout;
  }

  private async discover(layout: CgroupLayout): Promise<DiscoveredContainer[]> {
    const { systemdServices } = this.options;
    const known = this.known;
    const patterns = this.patterns;
    let found = await discoverContainers(layout, {
      includeSystemd: systemdServices === 'always',
      known,
      patterns,
    });
    if (systemdServices === 'auto' && found.containers.length === 0) {
      found = await discoverContainers(layout, { includeSystemd: true, known, patterns });
    }
    for (const error of found.errors) {
      this.problems.add('cgroup', 'unreadable');
      this.log.warn(
        `cgroup_walk_${error.code}`,
        { source: 'cgroup', ...error },
        'cgroup directory unreadable',
      );
    }
    return found.containers;
  }

  private async scrapeContainer(
    layout: CgroupLayout,
    container: DiscoveredContainer,
    deltas: CounterDeltas,
    timeMs: number,
    points: Datapoint[],
  ): Promise<void> {
    const atMs = performance.now();
    const { dirs } = container;
    const reading =
      layout.mode === 'v2' && dirs.unified !== undefined
        ? await readCgroupV2(dirs.unified)
        : await readCgroupV1(v1Dirs(dirs));
    // Stopped between discovery and reading: not an error, it is simply not there any more.
    if (reading.gone) return;
    for (const problem of reading.problems) {
      this.problems.add('cgroup', problem.reason);
      this.log.warn(
        `cgroup_${problem.file}_${problem.reason}`,
        { source: 'cgroup', container: container.id, ...problem },
        'container metric unavailable',
      );
    }
    const tags: Record<string, string> = {
      host: this.host,
      runtime: container.runtime,
      cgroup_path: container.path,
    };
    if (container.pod !== undefined) tags.pod = container.pod;
    if (container.parent !== undefined) tags.parent_container_id = container.parent;
    const builder = new PointBuilder(FIELDS, deltas, timeMs, atMs, tags, container.id);
    addStats(builder, reading.stats);
    this.addNetwork(builder, dirs.unified ?? dirs.memory ?? dirs.cpu ?? dirs.cpuacct);
    addDerived(builder, reading.stats);
    for (const point of builder.points) points.push(point);
  }

  private addNetwork(builder: PointBuilder, dir: string | undefined): void {
    if (dir === undefined) return;
    const pid = firstPid(dir);
    if (pid === undefined) return;
    let text: string;
    try {
      text = readSmallFile(`${this.options.procRoot}/${pid}/net/dev`);
    } catch {
      return; // the process exited between the two reads: nothing to report
    }
    for (const nic of parseNetDev(text, 'net/dev').values) {
      const tags = { interface: nic.interface };
      for (const direction of ['rx', 'tx'] as const) {
        const c = nic[direction];
        builder.add(`container.network.${direction}_bytes`, c.bytes, tags);
        builder.add(`container.network.${direction}_packets`, c.packets, tags);
        builder.add(`container.network.${direction}_errors`, c.errors, tags);
        builder.add(`container.network.${direction}_drops`, c.drops, tags);
      }
    }
  }
}

function v1Dirs(dirs: DiscoveredContainer['dirs']): V1Dirs {
  const out: V1Dirs = {};
  if (dirs.cpu !== undefined) out.cpu = dirs.cpu;
  if (dirs.cpuacct !== undefined) out.cpuacct = dirs.cpuacct;
  if (dirs.memory !== undefined) out.memory = dirs.memory;
  if (dirs.blkio !== undefined) out.blkio = dirs.blkio;
  if (dirs.pids !== undefined) out.pids = dirs.pids;
  return out;
}

function valueAt(stats: CgroupStats, path: readonly string[]): number | undefined {
  let node: unknown = stats;
  for (const key of path) {
    if (node === undefined || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' ? node : undefined;
}

function addStats(builder: PointBuilder, stats: CgroupStats): void {
  for (const field of PLAIN_FIELDS) builder.add(field.metric, valueAt(stats, field.path));
  // io: the total (device "total") and each device.
  for (const { key, metric } of IO_FIELDS) {
    builder.add(metric, stats.io[key], { device: 'total' });
    for (const device of stats.io.devices) builder.add(metric, device[key], { device: device.device });
  }
}

/** Percent of limit for cpu (from this interval's usage rate) and memory. */
function addDerived(builder: PointBuilder, stats: CgroupStats): void {
  const usage = builder.points.find((p) => p.name === 'container.cpu.usage');
  const { limit } = stats.cpu;
  if (usage?.rate !== undefined && limit !== undefined && limit > 0) {
    builder.add('container.cpu.percent_of_limit', (usage.rate / limit) * 100);
  }
  const { usage: memory, limit: memoryLimit } = stats.memory;
  if (memory !== undefined && memoryLimit !== undefined && memoryLimit > 0) {
    builder.add('container.memory.percent_of_limit', (memory / memoryLimit) * 100);
  }
}
