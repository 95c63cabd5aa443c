import type { Logger } from 'pino';
import type { RateLimitedLog } from '../../../lib/log/rate-limited.js';
import { formatAddress, type ListenAddress } from './listen-address.js';
import { listenUdpNative, type NativeUdpListener, nativeUdp } from './native-udp-listener.js';
import { REJECT_REASON_NAMES, Reject, type RejectCode } from './reject-reason.js';
import type { StatsdStats } from './stats.js';
import { listenTcp, type TcpListener } from './tcp-listener.js';
import { listenUdp, type UdpListener } from './udp-listener.js';

export interface StatsdSourceOptions {
  udp: ListenAddress | null;
  tcp: ListenAddress | null;
  maxPacketSize: number;
  maxLineLength: number;
  recvBufferSize: number;
  tcpMaxConnections: number;
  /** native: the recvmmsg addon; dgram: node:dgram; auto: native when it is built. */
  udpReceiver: 'auto' | 'native' | 'dgram';
}

/** A sample of the offending text in logs, never a whole oversized line. */
const LOGGED_TEXT_LIMIT = 200;

/** Where the listeners hand what they receive (the StatsD engine). */
export interface PacketConsumer {
  readonly stats: StatsdStats;
  ingestPacket(packet: Buffer, containerId?: string): void;
  ingestLines(bytes: Buffer, containerId?: string): void;
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

  constructor(
    private readonly options: StatsdSourceOptions,
    private readonly consumer: PacketConsumer,
    private readonly logger: Logger,
    private readonly log: RateLimitedLog,
  ) {}

  get stats(): StatsdStats {
    return this.consumer.stats;
  }

  get udpAddress(): ListenAddress | null {
    return this.udp?.address ?? null;
  }

  /** Datagrams the kernel dropped for a full socket buffer (native receiver only). */
  get kernelDrops(): number | null {
    return this.udp !== null && 'kernelDrops' in this.udp ? this.udp.kernelDrops() : null;
  }

  get tcpAddress(): ListenAddress | null {
    return this.tcp?.address ?? null;
  }

  async start(): Promise<void> {
    const { options } = this;
    const onError = (error: Error) => this.log.warn('socket_error', { err: error }, 'StatsD socket error');
    if (options.udp !== null) {
      const onPacket = (packet: Buffer) => this.consumer.ingestPacket(packet);
      const native =
        options.udpReceiver === 'native' || (options.udpReceiver === 'auto' && nativeUdp() !== null);
      this.udp = native
        ? await listenUdpNative(options.udp, options, onPacket)
        : await listenUdp(options.udp, options.recvBufferSize, onPacket, onError);
      this.udpReceiver = native ? 'native' : 'dgram';
      this.logger.info(
        { address: formatAddress(this.udp.address), receiver: this.udpReceiver },
        'StatsD listening on UDP',
      );
    }
    if (options.tcp !== null) {
      this.tcp = await listenTcp(
        options.tcp,
        { maxConnections: options.tcpMaxConnections, maxLineLength: options.maxLineLength },
        {
          onLines: (bytes) => this.consumer.ingestLines(bytes),
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
    this.udp = null;
    this.tcp = null;
  }
}
