import { join } from 'node:path';
import { type NodeProblem, parseCount, type Reading, readText } from './problem.js';

export interface InterfaceCounters {
  bytes: number;
  packets: number;
  errors: number;
  drops: number;
}

/** Cumulative counters since the interface appeared. */
export interface InterfaceStats {
  interface: string;
  rx: InterfaceCounters;
  tx: InterfaceCounters;
}

/**
 * Parses /proc/net/dev: two header lines, then `name: ` and 16 numbers, eight received
 * (bytes packets errs drop fifo frame compressed multicast) then eight transmitted (bytes
 * packets errs drop fifo colls carrier compressed). Loopback is skipped: it is traffic the
 * node sends itself. A bad line loses only its interface.
 */
export function parseNetDev(text: string, file: string): Reading<InterfaceStats[]> {
  const interfaces: InterfaceStats[] = [];
  const problems: NodeProblem[] = [];
  for (const line of text.split('\n').slice(2)) {
    if (line.trim() === '') continue;
    // Interface names cannot contain ':', and old kernels print no space after it.
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim();
    const numbers = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(parseCount);
    if (colon < 1 || name === '' || numbers.length !== 16 || numbers.some((n) => n === undefined)) {
      problems.push({ file, reason: 'malformed', detail: `bad line: ${line.trim().slice(0, 40)}` });
      continue;
    }
    if (name === 'lo') continue;
    const n = numbers as number[];
    interfaces.push({
      interface: name,
      rx: { bytes: n[0]!, packets: n[1]!, errors: n[2]!, drops: n[3]! },
      tx: { bytes: n[8]!, packets: n[9]!, errors: n[10]!, drops: n[11]! },
    });
  }
  return { values: interfaces, problems };
}

/**
 * /proc/net is a link to /proc/self/net: it shows the network namespace of the reader.
 * An agent in a container sees the host's interfaces only with host networking, or by
 * reading <procRoot>/1/net/dev of a host procfs mounted with the host's pid namespace.
 */
export async function readNetDev(procRoot = '/proc', path = 'net/dev'): Promise<Reading<InterfaceStats[]>> {
  const file = join(procRoot, path);
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  return text === undefined ? { values: [], problems } : parseNetDev(text, file);
}
