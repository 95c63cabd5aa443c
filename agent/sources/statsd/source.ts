import type { Logger } from 'pino';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { AddressAttribution, type ContainerForAddress } from './address-attribution.js';
import { formatAddress, type ListenAddress } from './listen-address.js';
import {
  kernelDropsOf,
  listenUdpNative,
  type NativeUdpListener,
  nativeUdp,
  type ReceiveArea,
} from './native-udp-listener.js';
import { REJECT_REASON_NAMES, Reject, type RejectCode } from './reject-reason.js';
import type { StatsdStats } from './stats.js';
import { listenTcp, type TcpListener } from './tcp-listener.js';
import { listenUdp, type PacketHandler, type UdpListener } from './udp-listener.js';

export interface StatsdSourceOptions {
  udp: ListenAddress | null;
  tcp: ListenAddress | null;
  maxPacketSize: number;
  maxLineLength: number;
  recvBufferSize: number;
  tcpMaxConnections: number;
  /** native: the recvmmsg addon; dgram: node:dgram; auto: native when it is built. */
  udpReceiver: 'auto' | 'native' | 'dgram';
  /**
   * The container of a sender's IP address, for lines on the shared UDP and TCP listeners
   * that name no container themselves. Absent: attribution by address is off.
   */
  containerForAddress?: ContainerForAddress;
  /** Changes whenever containerForAddress's map changes: cached answers are dropped then. */
  addressGeneration?: () => number;
  /** How long an address's container is reused before asking again, ms; default 1000. */
  addressCacheTtl?: number;
}

export type UdpReceiverChoice = 'auto' | 'native' | 'dgram';

/** Whether a receiver choice means the recvmmsg addon: "native", or "auto" when it is built. */
export function usesNativeReceiver(choice: UdpReceiverChoice): boolean {
  return choice === 'native' || (choice === 'auto' && nativeUdp() !== null);
}

/**
 * Opens a UDP listener with the receiver asked for: the recvmmsg addon for "native" (which
 * fails when it is not built) and for "auto" when it is built, node:dgram otherwise.
 */
export async function openUdpListener(
  address: ListenAddress,
  choice: UdpReceiverChoice,
  options: {
    recvBufferSize: number;
    maxPacketSize: number;
    attribution?: AddressAttribution | null;
    area?: ReceiveArea;
  },
  onPacket: PacketHandler,
  onError: (error: Error) => void,
): Promise<{ listener: UdpListener | NativeUdpListener; receiver: 'native' | 'dgram' }> {
  const native = usesNativeReceiver(choice);
  const listener = native
    ? await listenUdpNative(address, options, onPacket)
    : await listenUdp(address, options.recvBufferSize, onPacket, onError, options.attribution ?? null);
  return { listener, receiver: native ? 'native' : 'dgram' };
}

/** A sample of the offending text in logs, never a whole oversized line. */
const LOGGED_TEXT_LIMIT = 200;

/**
 * Where the listeners hand what they receive (the StatsD engine). portContainer: the
 * container whose own port it came in on; addressContainer: the container of the sender on
 * a shared listener ("" for none; undefined when attribution by address is off).
 */
export interface PacketConsumer {
  readonly stats: StatsdStats;
  ingestPacket(packet: Buffer, portContainer?: string, addressContainer?: string): void;
  ingestLines(bytes: Buffer, portContainer?: string, addressContainer?: string): void;
}

/** Logs rejected lines with a sample of their text, at most once per reason per interval. */
export function rejectLogger(log: RateLimitedLog): (reason: RejectCode, text: string) => void {
  return (reason, text) => {
    const name = REJECT_REASON_NAMES[reason]!;
    log.warn(name, { reason: name, line: text.slice(0, LOGGED_TEXT_LIMIT) }, 'rejected StatsD line');
  };
}

/** The StatsD source: UDP and TCP listeners feeding one consumer. */
export class StatsdSource {
  private udp: UdpListener | NativeUdpListener | null = null;
  private tcp: TcpListener | null = null;
  /** Which UDP receiver is in use, once started. */
  udpReceiver: 'native' | 'dgram' | null = null;
  /** The sender-address cache, when containerForAddress is given. */
  readonly addressAttribution: AddressAttribution | null;

  constructor(
    private readonly options: StatsdSourceOptions,
    private readonly consumer: PacketConsumer,
    private readonly logger: Logger,
    private readonly log: RateLimitedLog,
  ) {
    this.addressAttribution =
      options.containerForAddress === undefined
        ? null
        : new AddressAttribution(options.containerForAddress, {
            ttlMs: options.addressCacheTtl,
            generation: options.addressGeneration,
          });
  }

  get stats(): StatsdStats {
    return this.consumer.stats;
  }

  get udpAddress(): ListenAddress | null {
    return this.udp?.address ?? null;
  }

  /** Datagrams the kernel dropped for a full socket buffer (native receiver only). */
  get kernelDrops(): number | null {
    return this.udp === null ? null : kernelDropsOf(this.udp);
  }

  get tcpAddress(): ListenAddress | null {
    return this.tcp?.address ?? null;
  }

  async start(): Promise<void> {
    const { options } = this;
    const { consumer } = this;
    const attribution = this.addressAttribution;
    attribution?.start();
    const onError = (error: Error) => this.log.warn('socket_error', { err: error }, 'StatsD socket error');
    if (options.udp !== null) {
      // Without attribution the listener passes no container: nothing is "unattributed".
      const onPacket: PacketHandler =
        attribution === null
          ? (packet) => consumer.ingestPacket(packet)
          : (packet, addressContainer) => consumer.ingestPacket(packet, '', addressContainer);
      const opened = await openUdpListener(
        options.udp,
        options.udpReceiver,
        { ...options, attribution },
        onPacket,
        onError,
      );
      this.udp = opened.listener;
      this.udpReceiver = opened.receiver;
      this.logger.info(
        {
          address: formatAddress(this.udp.address),
          receiver: this.udpReceiver,
          attribution: attribution === null ? 'off' : 'address',
        },
        'StatsD listening on UDP',
      );
    }
    if (options.tcp !== null) {
      this.tcp = await listenTcp(
        options.tcp,
        { maxConnections: options.tcpMaxConnections, maxLineLength: options.maxLineLength },
        {
          onLines:
            attribution === null
              ? (bytes) => consumer.ingestLines(bytes)
              : (bytes, remoteAddress) => {
                  attribution.refresh();
                  consumer.ingestLines(bytes, '', attribution.forText(remoteAddress));
                },
          onOverlongLine: (length) => {
            this.stats.lines++;
            this.stats.rejected[Reject.LineTooLong]!++;
            this.log.warn('line_too_long', { reason: 'line_too_long', length }, 'rejected StatsD line');
          },
          onConnection: (open) => {
            this.stats.tcpConnections += open ? 1 : -1;
          },
          onError,
        },
      );
      this.logger.info({ address: formatAddress(this.tcp.address) }, 'StatsD listening on TCP');
    }
  }

  /** Stops listening; everything received so far has been decoded. */
  async stop(): Promise<void> {
    await Promise.all([this.udp?.close(), this.tcp?.close()]);
    this.addressAttribution?.stop();
    this.udp = null;
    this.tcp = null;
  }
}
