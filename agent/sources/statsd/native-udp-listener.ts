import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressAttribution } from './address-attribution.js';
import type { ListenAddress } from './listen-address.js';
import type { PacketHandler, UdpListener } from './udp-listener.js';

interface NativeUdp {
  open(
    ip: string,
    port: number,
    family: 4 | 6,
    recvBufferSize: number,
    slots: number,
    slotSize: number,
    data: Buffer,
    lengths: Int32Array,
    onBatch: (count: number) => void,
    sources?: Uint32Array | null,
  ): unknown;
  address(handle: unknown): [string, number];
  drops(handle: unknown): number;
  close(handle: unknown): void;
}

/** Datagrams taken per system call. */
const SLOTS = 64;
/** Words per datagram in the addon's sources array: family, then the address. */
const SOURCE_WORDS = 5;
const ADDON = join('agent', 'sources', 'statsd', 'native', 'build', 'Release', 'corral_udp.node');

/** The package root: the first folder up from here with a package.json (works from dist/ too). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

let loaded: NativeUdp | null | undefined;

/** The recvmmsg addon, or null when it was not built (no compiler at install time). */
export function nativeUdp(): NativeUdp | null {
  if (loaded === undefined) {
    const path = join(packageRoot(), ADDON);
    loaded = existsSync(path) ? (createRequire(import.meta.url)(path) as NativeUdp) : null;
  }
  return loaded;
}

export interface NativeUdpListener extends UdpListener {
  /** Datagrams the kernel dropped because the socket buffer was full (SO_RXQ_OVFL). */
  kernelDrops(): number;
}

/** A listener's kernel drops (its last count once closed); null for node:dgram's, which cannot tell. */
export function kernelDropsOf(listener: UdpListener): number | null {
  return 'kernelDrops' in listener ? (listener as NativeUdpListener).kernelDrops() : null;
}

/**
 * The memory a batch is received into: SLOTS datagrams of slotSize bytes, their lengths and,
 * when asked for, their senders. One area can serve many sockets (the per-container ports):
 * a batch is consumed synchronously before the next socket's batch is read, so they never
 * overlap, and a hundred ports cost one area instead of a hundred 4 MiB ones.
 */
export class ReceiveArea {
  readonly data: Buffer;
  readonly lengths = new Int32Array(SLOTS);
  readonly slotSize: number;
  /** Inside a batch: closing a socket now (which drains it into this area) must wait. */
  delivering = false;

  constructor(maxPacketSize: number) {
    // Longer datagrams arrive as maxPacketSize + 1 bytes, so the size check rejects them.
    this.slotSize = Math.min(65_536, maxPacketSize + 1);
    this.data = Buffer.allocUnsafe(SLOTS * this.slotSize);
  }
}

/**
 * The JS half of a batch: hands each datagram of the area to onPacket, with the container
 * of its sender when attribution is on (resolved per datagram, through the cache).
 */
export function batchDelivery(
  area: ReceiveArea,
  onPacket: PacketHandler,
  attribution: AddressAttribution | null,
  sources: Uint32Array | null,
): (count: number) => void {
  const { data, lengths, slotSize } = area;
  if (attribution === null || sources === null) {
    return (count) => {
      area.delivering = true;
      try {
        for (let i = 0; i < count; i++) {
          const start = i * slotSize;
          const length = lengths[i]!;
          onPacket(data.subarray(start, start + (length < 0 ? slotSize : length)));
        }
      } finally {
        area.delivering = false;
      }
    };
  }
  return (count) => {
    area.delivering = true;
    try {
      attribution.refresh();
      for (let i = 0; i < count; i++) {
        const start = i * slotSize;
        const length = lengths[i]!;
        const base = i * SOURCE_WORDS;
        const family = sources[base];
        const container =
          family === 4
            ? attribution.forIPv4(sources[base + 1]!)
            : family === 6
              ? attribution.forIPv6(sources, base + 1)
              : '';
        onPacket(data.subarray(start, start + (length < 0 ? slotSize : length)), container);
      }
    } finally {
      area.delivering = false;
    }
  };
}

export interface NativeUdpOptions {
  recvBufferSize: number;
  maxPacketSize: number;
  /** Attributes each datagram by its sender: the kernel is asked for sender addresses. */
  attribution?: AddressAttribution | null;
  /** An area shared with other listeners; by default the listener has its own. */
  area?: ReceiveArea;
}

/**
 * Binds a UDP socket served by the recvmmsg addon: up to 64 datagrams per system call and
 * one JS call per batch. Each datagram reaches onPacket as a view that is only valid during
 * the call (the next batch reuses the memory). Datagrams longer than maxPacketSize arrive
 * as maxPacketSize + 1 bytes, so the consumer's size check rejects them. With attribution,
 * onPacket also gets the container of the datagram's sender ("" for none).
 */
export async function listenUdpNative(
  address: ListenAddress,
  options: NativeUdpOptions,
  onPacket: PacketHandler,
): Promise<NativeUdpListener> {
  const addon = nativeUdp();
  if (addon === null) throw new Error('the native UDP receiver is not built (npm run build:native)');
  const { address: ip, family } = await lookup(address.host);
  const area = options.area ?? new ReceiveArea(options.maxPacketSize);
  const attribution = options.attribution ?? null;
  // Sender addresses cost the kernel a copy per datagram: asked for only when used.
  const sources = attribution === null ? null : new Uint32Array(SLOTS * SOURCE_WORDS);
  const handle = addon.open(
    ip,
    address.port,
    family === 6 ? 6 : 4,
    options.recvBufferSize,
    SLOTS,
    area.slotSize,
    area.data,
    area.lengths,
    batchDelivery(area, onPacket, attribution, sources),
    sources,
  );
  const [boundIp, boundPort] = addon.address(handle);
  // The addon frees the socket's state after close: remember the last drop count instead.
  let dropsAtClose: number | null = null;
  const close = () => {
    if (dropsAtClose !== null) return;
    dropsAtClose = addon.drops(handle);
    addon.close(handle);
  };
  return {
    address: { host: boundIp, port: boundPort },
    kernelDrops: () => dropsAtClose ?? addon.drops(handle),
    async close() {
      // Closing drains the socket into the area: not while the area's batch is being read.
      if (area.delivering) await new Promise<void>((resolve) => setImmediate(resolve));
      close();
    },
  };
}
