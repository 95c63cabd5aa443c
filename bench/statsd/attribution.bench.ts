/**
 * npx vitest bench --run test/statsd/attribution.bench.ts
 *
 * The per-datagram cost of attribution by sender address in the native receiver's JS half
 * (batchDelivery): the same batches of 64 datagrams delivered with attribution off (the
 * addon asks the kernel for no addresses) and on (a cache lookup per datagram), into a sink
 * that only touches the packet, and into the real engine. The variants run interleaved,
 * round after round, and the table gives each one's median ns per datagram: a busy machine
 * slows whole rounds, not one variant. The kernel's copy of the sender address (msg_name)
 * is not in these numbers (docs/statsd.md has the socket-level measurement).
 */
import { bench } from 'vitest';
import { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { AddressAttribution } from '../../agent/sources/statsd/address-attribution.js';
import { batchDelivery, ReceiveArea } from '../../agent/sources/statsd/native-udp-listener.js';
import type { PacketHandler } from '../../agent/sources/statsd/udp-listener.js';
import { BASE_OPTIONS } from '../../test/statsd/helpers.js';

const SLOTS = 64;
const ROUNDS = 25;
/** Each variant runs about this long per round. */
const ROUND_MS = 40;

function area(packet: (i: number) => string): ReceiveArea {
  const a = new ReceiveArea(65_535);
  for (let i = 0; i < SLOTS; i++) {
    const bytes = Buffer.from(packet(i));
    bytes.copy(a.data, i * a.slotSize);
    a.lengths[i] = bytes.length;
  }
  return a;
}

/**
 * Sender words as the addon writes them: IPv4 172.17.<sender(i)>.1 for datagram i (above
 * 2^31, as most addresses are: no small-integer shortcut).
 */
function sources(sender: (i: number) => number): Uint32Array {
  const words = new Uint32Array(SLOTS * 5);
  for (let i = 0; i < SLOTS; i++) {
    words[i * 5] = 4;
    words[i * 5 + 1] = ((172 << 24) | (17 << 16) | (sender(i) << 8) | 1) >>> 0;
  }
  return words;
}

/** 172.17.<n>.1 belongs to container-<n> for n < 250. */
const resolve = (ip: string) => {
  const n = Number(ip.split('.')[2]);
  return n < 250 ? `container-${n}` : undefined;
};

let touched = 0;
const sink = (): PacketHandler => (packet, container) => {
  touched += packet.length + (container === undefined ? 0 : container.length);
};
const intoEngine = (): PacketHandler => {
  const engine = new StatsdEngine({
    ...BASE_OPTIONS,
    maxSeries: 10_000_000,
    maxSeriesPerContainer: 10_000_000,
  });
  return (packet, container) => engine.ingestPacket(packet, '', container);
};

interface Variant {
  name: string;
  deliver: (count: number) => void;
}

function variants(packets: ReceiveArea, handler: () => PacketHandler): Variant[] {
  const generation = 1;
  return [
    { name: 'attribution off', deliver: batchDelivery(packets, handler(), null, null) },
    {
      name: 'on, one sender',
      deliver: batchDelivery(
        packets,
        handler(),
        new AddressAttribution(resolve),
        sources(() => 7),
      ),
    },
    {
      name: 'on, 32 senders interleaved',
      deliver: batchDelivery(
        packets,
        handler(),
        new AddressAttribution(resolve),
        sources((i) => i % 32),
      ),
    },
    {
      name: 'on, 32 senders, generation',
      deliver: batchDelivery(
        packets,
        handler(),
        new AddressAttribution(resolve, { generation: () => generation }),
        sources((i) => i % 32),
      ),
    },
  ];
}

/** Median ns per datagram of each variant over interleaved rounds. */
function measure(list: Variant[]): Map<string, number> {
  const batchesPerRound = new Map<string, number>();
  for (const v of list) {
    // Warm up, and size a round to ROUND_MS.
    const started = performance.now();
    let batches = 0;
    while (performance.now() - started < ROUND_MS) {
      v.deliver(SLOTS);
      batches++;
    }
    batchesPerRound.set(v.name, batches);
  }
  const samples = new Map<string, number[]>(list.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < list.length; k++) {
      const v = list[(round + k) % list.length]!; // rotate who goes first
      const batches = batchesPerRound.get(v.name)!;
      const started = process.hrtime.bigint();
      for (let b = 0; b < batches; b++) v.deliver(SLOTS);
      samples.get(v.name)!.push(Number(process.hrtime.bigint() - started) / (batches * SLOTS));
    }
  }
  const medians = new Map<string, number>();
  for (const [name, values] of samples) medians.set(name, values.sort((a, b) => a - b)[values.length >> 1]!);
  return medians;
}

const scenarios: [string, ReceiveArea, () => PacketHandler][] = [
  ['1-line datagrams, sink only', area((i) => `app.svc01.requests.metric${i % 8}:1|c|#env:prod`), sink],
  [
    '1-line datagrams, into the engine',
    area((i) => `app.svc01.requests.metric${i % 8}:1|c|#env:prod`),
    intoEngine,
  ],
  [
    '20-line datagrams, into the engine',
    area((i) =>
      Array.from({ length: 20 }, (_, j) => `app.svc01.requests.metric${(i + j) % 50}:1|c`).join('\n'),
    ),
    intoEngine,
  ],
];

bench(
  'attribution on vs off, interleaved (table on stdout)',
  () => {
    const rows: string[] = [];
    for (const [label, packets, handler] of scenarios) {
      const medians = measure(variants(packets, handler));
      const off = medians.get('attribution off')!;
      for (const [name, ns] of medians) {
        const delta = ns - off;
        rows.push(
          `${label.padEnd(36)} ${name.padEnd(28)} ${ns.toFixed(1).padStart(8)} ns/datagram` +
            (name === 'attribution off' ? '' : `  ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} ns`),
        );
      }
    }
    console.log(`\n${rows.join('\n')}\n(sink checksum ${touched > 0 ? 'ok' : 'unused'})`);
  },
  { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
);
