/** Top self-time functions of a V8 .cpuprofile (node --cpu-prof), for the report. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface HotFunction {
  function: string;
  location: string;
  selfPercent: number;
}

/** The newest .cpuprofile in dir, summarized: functions by self time, largest first. */
export function summarizeProfile(dir: string, root: string, top = 20): HotFunction[] {
  const file = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (file === undefined) return [];
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map<string, HotFunction>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const path = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
    const location = path === '' ? '' : `${path}:${lineNumber + 1}`;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const key = `${name} ${location}`;
    const entry = byFunction.get(key) ?? { function: name, location, selfPercent: 0 };
    entry.selfPercent += (100 * count) / total;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.selfPercent - a.selfPercent)
    .slice(0, top)
    .map((entry) => ({ ...entry, selfPercent: Math.round(entry.selfPercent * 10) / 10 }));
}
