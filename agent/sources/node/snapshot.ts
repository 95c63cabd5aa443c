import { type FilesystemOptions, type FilesystemStats, readFilesystems } from './filesystems.js';
import { type LoadavgValues, readLoadavg } from './loadavg.js';
import { type MeminfoValues, readMeminfo } from './meminfo.js';
import { type InterfaceStats, readNetDev } from './net-dev.js';
import type { NodeProblem } from './problem.js';
import { countProcesses } from './processes.js';
import { readStat, type StatValues } from './stat.js';
import { readUptime } from './uptime.js';

/** One reading of the node; a field is absent when its file was missing or malformed (see problems). */
export interface NodeSnapshot {
  stat: StatValues;
  load: LoadavgValues;
  memory: MeminfoValues;
  /** Without lo. */
  network: InterfaceStats[];
  /** Seconds since boot. */
  uptime?: number;
  /** Processes alive now. */
  processes?: number;
  filesystems: FilesystemStats[];
  problems: NodeProblem[];
}

export interface NodeSnapshotOptions {
  /** Relative to procRoot; `1/net/dev` for the host's interfaces from a container with hostPID. */
  netDevPath?: string;
  filesystems?: FilesystemOptions;
}

/** Reads every node source at once; never throws for a missing or bad file. */
export async function readNodeSnapshot(
  procRoot = '/proc',
  options: NodeSnapshotOptions = {},
): Promise<NodeSnapshot> {
  const [stat, load, memory, network, uptime, processes, filesystems] = await Promise.all([
    readStat(procRoot),
    readLoadavg(procRoot),
    readMeminfo(procRoot),
    readNetDev(procRoot, options.netDevPath),
    readUptime(procRoot),
    countProcesses(procRoot),
    readFilesystems(procRoot, options.filesystems),
  ]);
  const snapshot: NodeSnapshot = {
    stat: stat.values,
    load: load.values,
    memory: memory.values,
    network: network.values,
    filesystems: filesystems.values,
    problems: [stat, load, memory, network, uptime, processes, filesystems].flatMap((r) => r.problems),
  };
  if (uptime.values.uptime !== undefined) snapshot.uptime = uptime.values.uptime;
  if (processes.values.processes !== undefined) snapshot.processes = processes.values.processes;
  return snapshot;
}
