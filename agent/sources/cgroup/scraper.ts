import { hostname } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Scraper } from '../../pipelines/scrape-loop.js';
import { CounterDeltas } from '../../transforms/counter-deltas/counter-deltas.js';
import { parseNetDev } from '../node/net-dev.js';
import { DescriptorBudget, KeptFiles } from '../shared/kept-files.js';
import { fieldMap, PointBuilder, type SeriesTags, seriesTags } from '../shared/point-builder.js';
import { ProblemCounts } from '../shared/problem-counts.js';
import { type ContainerChange, ContainerSet, type ContainerSetOptions } from './container-set.js';
import type { DiscoveredContainer } from './discovery.js';
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
  /** Most files kept open between scrapes, over all containers; 0 opens and closes each read. */
  openFiles?: number;
  /** events: walk the tree when directories appear or vanish (inotify); interval (default): every scrape. */
  rescan?: 'events' | 'interval';
  /** Called when a walk finds containers started or stopped. */
  onContainers?: (change: ContainerChange) => void;
}

/** What the scraper keeps of a container between scrapes. */
interface ContainerState {
  /** Counter readings; devices and interfaces gone are swept after each scrape. */
  deltas: CounterDeltas;
  kept: KeptFiles;
  /** The member process whose net/dev is read, and its /proc directory (kept: same string each time). */
  pid: number;
  procDir: string;
  /** The container's tags, made once: every datapoint of the container shares them. */
  tags: Readonly<Record<string, string>>;
  /** Tags of each device ("d8:0") and interface ("ieth0"), merged with the container's once. */
  series: Map<string, SeriesTags>;
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
const NET_METRICS = (['rx', 'tx'] as const).map((direction) => ({
  direction,
  bytes: `container.network.${direction}_bytes`,
  packets: `container.network.${direction}_packets`,
  errors: `container.network.${direction}_errors`,
  drops: `container.network.${direction}_drops`,
}));
const TOTAL_DEVICE = 'total';
const MAX_SERIES_TAGS = 256;

/** The kept tags of a container's device or interface, made on first sight. */
function seriesOf(state: ContainerState, kind: 'd' | 'i', tag: string, value: string): SeriesTags {
  const key = kind + value;
  let series = state.series.get(key);
  if (series === undefined) {
    // Devices and interfaces come and go (veth pairs of a restarted sidecar): start over
    // rather than grow without bound; a lookup that misses only costs one merge.
    if (state.series.size >= MAX_SERIES_TAGS) state.series.clear();
    series = seriesTags(state.tags, { [tag]: value });
    state.series.set(key, series);
  }
  return series;
}

/**
 * The cgroup source: every interval reads each container's cgroup files into datapoints that
 * carry its container id, runtime and cgroup path. Which containers there are comes from the
 * ContainerSet (walked on directory events or every interval).
 */
export class CgroupScraper implements Scraper {
  readonly name = 'cgroup';
  readonly problems = new ProblemCounts();
  /** Per container id; a container's state is dropped (and its files closed) when it is gone. */
  private states = new Map<string, ContainerState>();
  private readonly budget: DescriptorBudget;
  private layout: CgroupLayout | undefined;
  /** The node's containers, walked on events or every interval. */
  readonly containerSet: ContainerSet;

  constructor(
    private readonly options: CgroupScraperOptions,
    private readonly log: RateLimitedLog,
    private readonly host = hostname(),
  ) {
    this.budget = new DescriptorBudget(options.openFiles ?? 0);
    const setOptions: ContainerSetOptions = {
      patterns: [...(options.patterns ?? []), ...DEFAULT_PATTERNS],
      systemdServices: options.systemdServices,
      rescan: options.rescan ?? 'interval',
    };
    if (options.onContainers !== undefined) setOptions.onChange = options.onContainers;
    this.containerSet = new ContainerSet(() => this.currentLayout(), setOptions, log, this.problems);
  }

  /** Directories watched for containers appearing or vanishing. */
  get watchedDirs(): number {
    return this.containerSet.watchedDirs;
  }

  /** Walks of the tree by trigger. */
  get walks(): { interval: number; event: number } {
    return this.containerSet.walks;
  }

  /** Containers found by the last walk (corral_cgroup_containers). */
  get containers(): number {
    return this.containerSet.size;
  }

  /** Files kept open now, over all containers. */
  get openFiles(): number {
    return this.budget.used;
  }

  /** Closes every kept file and the directory watches. */
  close(): void {
    for (const state of this.states.values()) state.kept.close();
    this.states.clear();
    this.containerSet.close();
  }

  async scrape(timeMs: number): Promise<Datapoint[]> {
    const layout = await this.currentLayout();
    const containers = await this.containerSet.forScrape();
    const states = new Map<string, ContainerState>();
    const points: Datapoint[] = [];
    for (let i = 0; i < containers.length; i++) {
      if (i > 0 && i % CONTAINERS_PER_SLICE === 0) await yieldToLoop();
      const container = containers[i]!;
      let state = this.states.get(container.id);
      if (state === undefined) {
        state = {
          deltas: new CounterDeltas(),
          kept: new KeptFiles(this.budget),
          pid: 0,
          procDir: '',
          tags: this.containerTags(container),
          series: new Map(),
        };
      } else {
        this.states.delete(container.id);
      }
      states.set(container.id, state);
      state.deltas.begin();
      this.scrapeContainer(layout, container, state, timeMs, points);
      state.deltas.sweep(); // devices and interfaces the container no longer has
    }
    // What is left belongs to containers that are gone.
    for (const gone of this.states.values()) gone.kept.close();
    this.states = states;
    return points;
  }

  private async currentLayout(): Promise<CgroupLayout> {
    this.layout ??= await detectLayout(this.options.root === '' ? {} : { cgroupRoot: this.options.root });
    return this.layout;
  }

  private scrapeContainer(
    layout: CgroupLayout,
    container: DiscoveredContainer,
    state: ContainerState,
    timeMs: number,
    points: Datapoint[],
  ): void {
    const atMs = performance.now();
    const { dirs } = container;
    const reading =
      layout.mode === 'v2' && dirs.unified !== undefined
        ? readCgroupV2(dirs.unified, state.kept)
        : readCgroupV1(v1Dirs(dirs), state.kept);
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
    const builder = new PointBuilder(FIELDS, state.deltas, timeMs, atMs, state.tags, container.id);
    addStats(builder, state, reading.stats);
    if (dirs.unified !== undefined) this.addNetwork(builder, state, dirs.unified, true);
    else this.addNetwork(builder, state, dirs.memory ?? dirs.cpu ?? dirs.cpuacct, false);
    addDerived(builder, reading.stats);
    for (const point of builder.points) points.push(point);
  }

  /**
   * The container's /proc/<pid>/net/dev, or undefined when it has no process left. cgroup.procs
   * is read every time (kept open on v2 only, see firstPid): a kept net/dev descriptor pins its network namespace and reads on
   * after the process exits, so it must follow the cgroup's current first member (a restarted
   * container gets a new namespace).
   */
  private readNetDev(state: ContainerState, dir: string, unified: boolean): string | undefined {
    const pid = firstPid(dir, state.kept, unified);
    if (pid === undefined) return undefined;
    if (state.pid !== pid) {
      state.pid = pid;
      state.procDir = `${this.options.procRoot}/${pid}`;
    }
    const text = state.kept.read(state.procDir, NET_DEV);
    // A failure: the process exited between the two reads, nothing to report.
    return typeof text === 'string' ? text : undefined;
  }

  private containerTags(container: DiscoveredContainer): Record<string, string> {
    const tags: Record<string, string> = {
      host: this.host,
      runtime: container.runtime,
      cgroup_path: container.path,
    };
    if (container.pod !== undefined) tags.pod = container.pod;
    if (container.parent !== undefined) tags.parent_container_id = container.parent;
    return tags;
  }

  /** unified: dir is in the v2 hierarchy (its cgroup.procs may be kept open). */
  private addNetwork(
    builder: PointBuilder,
    state: ContainerState,
    dir: string | undefined,
    unified: boolean,
  ): void {
    if (dir === undefined) return;
    const text = this.readNetDev(state, dir, unified);
    if (text === undefined) return;
    for (const nic of parseNetDev(text, 'net/dev').values) {
      const tags = seriesOf(state, 'i', 'interface', nic.interface);
      for (const { direction, bytes, packets, errors, drops } of NET_METRICS) {
        const c = nic[direction];
        builder.addSeries(bytes, c.bytes, tags);
        builder.addSeries(packets, c.packets, tags);
        builder.addSeries(errors, c.errors, tags);
        builder.addSeries(drops, c.drops, tags);
      }
    }
  }
}

/** Where one container's interfaces are read. */
const NET_DEV = 'net/dev';

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

function addStats(builder: PointBuilder, state: ContainerState, stats: CgroupStats): void {
  for (const field of PLAIN_FIELDS) builder.add(field.metric, valueAt(stats, field.path));
  // io: the total (device "total") and each device.
  const total = seriesOf(state, 'd', 'device', TOTAL_DEVICE);
  for (const { key, metric } of IO_FIELDS) builder.addSeries(metric, stats.io[key], total);
  for (const device of stats.io.devices) {
    const tags = seriesOf(state, 'd', 'device', device.device);
    for (const { key, metric } of IO_FIELDS) builder.addSeries(metric, device[key], tags);
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
