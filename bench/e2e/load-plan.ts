/**
 * The end-to-end load: StatsD series of several containers, reached three ways (the container's
 * own port, the DogStatsD `c:` field on the shared port, a `container_id` tag on the shared
 * port) plus series of no container, packed into datagrams of up to 1,432 bytes (the DogStatsD
 * clients' default buffer) once, as a pool the generator sends again and again.
 *
 * Every packet knows what it adds to the exact totals the bench checks by SQL: counter
 * increments (value / sample rate) and timer samples (1 / sample rate). Sample rates are
 * powers of two, so both totals are exact in floating point.
 */

/** Where one group of series goes: a container's own port, or the shared port. */
export interface GroupSpec {
  /** Index into the generator's destination ports (0 is the shared port). */
  destination: number;
  /** How the line names its container: not at all (its own port, or no container), `c:` field, tag. */
  container: { mode: 'port' | 'field' | 'tag'; id: string } | null;
  /** Distinct series of the group. */
  series: number;
  /** Name prefix, distinct per group so that series never collide. */
  app: string;
}

export interface PoolPacket {
  destination: number;
  bytes: Buffer;
  lines: number;
  /** Sum of counter increments over sample rates. */
  counterTotal: number;
  /** Timer samples, weighted by 1 / sample rate. */
  timerSamples: number;
}

export interface Pool {
  packets: PoolPacket[];
  /** Lines in one pass over the pool (each series once). */
  lines: number;
  bytes: number;
  series: number;
  /** Lines by kind in one pass. */
  kinds: { counter: number; timer: number; gauge: number; set: number };
}

/** The name prefix of every load series, and of the latency markers. */
export const LOAD_PREFIX = 'load.';
export const MARKER_NAME = 'e2e.marker';
const MAX_PACKET = 1432;

/** Slots 0-19 of a series index: 8 counters, 5 timers, 5 gauges, 2 sets. */
const SLOTS: { kind: 'c' | 'ms' | 'g' | 's'; name: string }[] = [
  ...['http.requests', 'http.errors', 'db.queries', 'cache.hits', 'cache.misses', 'queue.published'].map(
    (name) => ({ kind: 'c' as const, name }),
  ),
  ...['queue.consumed', 'jobs.done'].map((name) => ({ kind: 'c' as const, name })),
  ...['http.latency', 'db.latency', 'cache.latency', 'queue.wait', 'render.time'].map((name) => ({
    kind: 'ms' as const,
    name,
  })),
  ...['pool.active', 'pool.idle', 'queue.depth', 'memory.heap', 'threads.busy'].map((name) => ({
    kind: 'g' as const,
    name,
  })),
  ...['users.unique', 'sessions.unique'].map((name) => ({ kind: 's' as const, name })),
];
const STATUS = ['200', '200', '200', '201', '204', '304', '404', '500'];

/** xorshift32: the same pool on every run. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface Line {
  text: string;
  counter: number;
  timer: number;
  kind: 'counter' | 'timer' | 'gauge' | 'set';
}

function line(group: GroupSpec, j: number, next: () => number): Line {
  const slot = SLOTS[j % SLOTS.length]!;
  const route = Math.floor(j / SLOTS.length);
  const tags = [`env:prod`, `route:/api/v1/r${route}`, `status:${STATUS[route % STATUS.length]}`];
  if (group.container?.mode === 'tag') tags.push(`container_id:${group.container.id}`);
  const field = group.container?.mode === 'field' ? `|c:${group.container.id}` : '';
  const name = `${LOAD_PREFIX}${group.app}.${slot.name}`;
  const tagText = `|#${tags.join(',')}`;
  switch (slot.kind) {
    case 'c': {
      const value = 1 + Math.floor(next() * 5);
      // One counter in eight sampled at 1/2.
      const rate = j % 8 === 0 ? 0.5 : 1;
      const sampled = rate === 1 ? '' : `|@${rate}`;
      return {
        text: `${name}:${value}|c${sampled}${tagText}${field}`,
        counter: value / rate,
        timer: 0,
        kind: 'counter',
      };
    }
    case 'ms': {
      const value = (next() * 500).toFixed(1);
      // One timer in four (of http.latency) sampled at 1/4.
      const rate = j % 20 === 8 && route % 4 === 0 ? 0.25 : 1;
      const sampled = rate === 1 ? '' : `|@${rate}`;
      return {
        text: `${name}:${value}|ms${sampled}${tagText}${field}`,
        counter: 0,
        timer: 1 / rate,
        kind: 'timer',
      };
    }
    case 'g': {
      // Mostly absolute values, some deltas.
      const value = Math.floor(next() * 1000);
      const text = j % 3 === 0 ? `+${value % 10}` : String(value);
      return { text: `${name}:${text}|g${tagText}${field}`, counter: 0, timer: 0, kind: 'gauge' };
    }
    default:
      return {
        text: `${name}:u${Math.floor(next() * 500)}|s${tagText}${field}`,
        counter: 0,
        timer: 0,
        kind: 'set',
      };
  }
}

/** Each group's series once, packed into datagrams; the groups' packets interleaved. */
export function buildPool(groups: readonly GroupSpec[], seed = 42): Pool {
  const next = random(seed);
  const perGroup: PoolPacket[][] = [];
  const kinds = { counter: 0, timer: 0, gauge: 0, set: 0 };
  let lines = 0;
  let bytes = 0;
  for (const group of groups) {
    const packets: PoolPacket[] = [];
    let texts: string[] = [];
    let size = 0;
    let counter = 0;
    let timer = 0;
    const close = () => {
      if (texts.length === 0) return;
      const buffer = Buffer.from(texts.join('\n'));
      packets.push({
        destination: group.destination,
        bytes: buffer,
        lines: texts.length,
        counterTotal: counter,
        timerSamples: timer,
      });
      bytes += buffer.length;
      texts = [];
      size = 0;
      counter = 0;
      timer = 0;
    };
    for (let j = 0; j < group.series; j++) {
      const l = line(group, j, next);
      if (size + l.text.length + 1 > MAX_PACKET) close();
      texts.push(l.text);
      size += l.text.length + 1;
      counter += l.counter;
      timer += l.timer;
      kinds[l.kind]++;
      lines++;
    }
    close();
    perGroup.push(packets);
  }
  // Round-robin over the groups, so every destination gets a steady share.
  const packets: PoolPacket[] = [];
  for (let i = 0; packets.length < perGroup.reduce((n, p) => n + p.length, 0); i++) {
    for (const group of perGroup) if (i < group.length) packets.push(group[i]!);
  }
  const series = groups.reduce((n, g) => n + g.series, 0);
  return { packets, lines, bytes, series, kinds };
}

/** A latency marker: a gauge of its own series whose value is its send time (ms since the epoch). */
export function markerLine(seq: number, sentMs: number): string {
  return `${MARKER_NAME}:${sentMs}|g|#seq:${seq}`;
}
