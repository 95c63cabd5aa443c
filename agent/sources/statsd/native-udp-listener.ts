import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ListenAddress } from './listen-address.js';
import type { UdpListener } from './udp-listener.js';

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
  ): unknown;
  address(handle: unknown): [string, number];
  drops(handle: unknown): number;
  close(handle: unknown): void;
}

/** Datagrams taken per system call. */
const SLOTS = 64;
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

/**
 * Binds a UDP socket served by the recvmmsg addon: up to 64 datagrams per system call and
 * one JS call per batch. Each datagram reaches onPacket as a view that is only valid during
 * the call (the next batch reuses the memory). Datagrams longer than maxPacketSize arrive
 * as maxPacketSize + 1 bytes, so the consumer's size check rejects them.
 */
export async function listenUdpNative(
  address: ListenAddress,
  options: { recvBufferSize: number; maxPacketSize: number },
  onPacket: (packet: Buffer) => void,
): Promise<NativeUdpListener> {
  const addon = nativeUdp();
  if (addon === null) throw new Error('the native UDP receiver is not built (npm run build:native)');
  const { address: ip, family } = await lookup(address.host);
  const slotSize = Math.min(65_536, options.maxPacketSize + 1);
  const data = Buffer.allocUnsafe(SLOTS * slotSize);
  const lengths = new Int32Array(SLOTS);
  const onBatch = (count: number) => {
    for (let i = 0; i < count; i++) {
      const start = i * slotSize;
      const length = lengths[i]!;
      onPacket(data.subarray(start, start + (length < 0 ? slotSize : length)));
    }
  };
  const handle = addon.open(
    ip,
    address.port,
    family === 6 ? 6 : 4,
    options.recvBufferSize,
    SLOTS,
    slotSize,
    data,
    lengths,
    onBatch,
  );
  const [boundIp, boundPort] = addon.address(handle);
  // The addon frees the socket's state after close: remember the last drop count instead.
  let dropsAtClose: number | null = null;
  return {
    address: { host: boundIp, port: boundPort },
    kernelDrops: () => dropsAtClose ?? addon.drops(handle),
    async close() {
      if (dropsAtClose !== null) return;
      dropsAtClose = addon.drops(handle);
      addon.close(handle);
    },
  };
}
