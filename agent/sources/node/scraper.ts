import { hostname } from 'node:os';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { Scraper } from '../../pipelines/scrape-loop.js';
import { CounterDeltas } from '../../transforms/counter-deltas/counter-deltas.js';
import { fieldMap, PointBuilder } from '../shared/point-builder.js';
import { ProblemCounts } from '../shared/problem-counts.js';
import { CPU_MODES, cpuPercentByMode } from './cpu-percent.js';
import { NODE_FIELDS } from './fields.js';
import { type NodeSnapshot, type NodeSnapshotOptions, readNodeSnapshot } from './snapshot.js';
import type { CpuTimes } from './stat.js';

const FIELDS = fieldMap(NODE_FIELDS);

/** The node source: /proc and statfs read every interval into datapoints tagged with the host. */
export class NodeScraper implements Scraper {
  readonly name = 'node';
  readonly problems = new ProblemCounts();
  private readonly deltas = new CounterDeltas();
  private previousCpu: CpuTimes | undefined;
  private readonly host: string;

  constructor(
    private readonly procRoot: string,
    private readonly log: RateLimitedLog,
    private readonly options: NodeSnapshotOptions = {},
    host = hostname(),
  ) {
    this.host = host;
  }

  async scrape(timeMs: number): Promise<Datapoint[]> {
    const atMs = performance.now();
    const snapshot = await readNodeSnapshot(this.procRoot, this.options);
    for (const problem of snapshot.problems) {
      this.problems.add('node', problem.reason);
      this.log.warn(
        `node_${problem.file}_${problem.reason}`,
        { source: 'node', ...problem },
        'node metric unavailable',
      );
    }
    this.deltas.begin();
    const points = new PointBuilder(FIELDS, this.deltas, timeMs, atMs, { host: this.host });
    this.addCpu(points, snapshot);
    this.addMemoryAndLoad(points, snapshot);
    for (const fs of snapshot.filesystems) {
      const tags = { mountpoint: fs.mountpoint, device: fs.device, fstype: fs.fstype };
      points.add('node.filesystem.capacity', fs.capacity, tags);
      points.add('node.filesystem.used', fs.used, tags);
      points.add('node.filesystem.free', fs.free, tags);
      points.add('node.filesystem.inodes.total', fs.inodesTotal, tags);
      points.add('node.filesystem.inodes.used', fs.inodesUsed, tags);
      points.add('node.filesystem.inodes.free', fs.inodesFree, tags);
    }
    for (const nic of snapshot.network) {
      const tags = { interface: nic.interface };
      for (const direction of ['rx', 'tx'] as const) {
        const c = nic[direction];
        points.add(`node.network.${direction}.bytes`, c.bytes, tags);
        points.add(`node.network.${direction}.packets`, c.packets, tags);
        points.add(`node.network.${direction}.errors`, c.errors, tags);
        points.add(`node.network.${direction}.drops`, c.drops, tags);
      }
    }
    points.add('node.uptime', snapshot.uptime);
    points.add('node.processes', snapshot.processes);
    this.deltas.sweep();
    return points.points;
  }

  private addCpu(points: PointBuilder, snapshot: NodeSnapshot): void {
    const { stat } = snapshot;
    points.add('node.cpu.cores', stat.cores);
    points.add('node.processes.forks', stat.processes);
    points.add('node.processes.running', stat.procsRunning);
    points.add('node.processes.blocked', stat.procsBlocked);
    if (stat.cpu === undefined) return;
    const percent = this.previousCpu === undefined ? undefined : cpuPercentByMode(this.previousCpu, stat.cpu);
    this.previousCpu = stat.cpu;
    if (percent === undefined) return;
    for (const mode of CPU_MODES) points.add('node.cpu.percent', percent[mode], { mode });
  }

  private addMemoryAndLoad(points: PointBuilder, { load, memory }: NodeSnapshot): void {
    points.add('node.load.1', load.load1);
    points.add('node.load.5', load.load5);
    points.add('node.load.15', load.load15);
    points.add('node.memory.total', memory.total);
    points.add('node.memory.free', memory.free);
    points.add('node.memory.available', memory.available);
    points.add('node.memory.buffers', memory.buffers);
    points.add('node.memory.cached', memory.cached);
    points.add('node.swap.total', memory.swapTotal);
    points.add('node.swap.free', memory.swapFree);
    points.add('node.swap.used', memory.swapUsed);
  }
}
