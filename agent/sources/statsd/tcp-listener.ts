import net from 'node:net';
import type { ListenAddress } from './listen-address.js';

export interface TcpListenerOptions {
  maxConnections: number;
  maxLineLength: number;
}

export interface TcpListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

export interface TcpHandlers {
  /**
   * Whole lines (one or more, newline separated, the last without its newline), with the
   * address of the client that sent them ("" when the socket no longer knows it).
   */
  onLines(bytes: Buffer, remoteAddress: string): void;
  /** A line that grew past maxLineLength without a newline; it is discarded. */
  onOverlongLine(length: number): void;
  onConnection(open: boolean): void;
  onError(error: Error): void;
}

/**
 * Newline-delimited StatsD over TCP: many clients, lines split across reads reassembled,
 * an unterminated last line taken when the client closes.
 */
export function listenTcp(
  address: ListenAddress,
  options: TcpListenerOptions,
  handlers: TcpHandlers,
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    handlers.onConnection(true);
    const remoteAddress = socket.remoteAddress ?? '';
    const framer = new LineFramer(options.maxLineLength, {
      onLines: (bytes) => handlers.onLines(bytes, remoteAddress),
      onOverlongLine: handlers.onOverlongLine,
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('end', () => framer.end());
    socket.on('error', handlers.onError);
    socket.on('close', () => {
      sockets.delete(socket);
      handlers.onConnection(false);
    });
  });
  server.maxConnections = options.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      server.on('error', handlers.onError);
      const bound = server.address() as net.AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Clients are told to finish; what they already sent is still read.
            for (const socket of sockets) socket.end();
          }),
      });
    });
  });
}

/** Splits a byte stream into runs of whole lines, holding back a partial last line. */
export class LineFramer {
  private pending: Buffer | null = null;
  /** Inside a line that is already too long: skip to its newline. */
  private discarding = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly handlers: {
      onLines(bytes: Buffer): void;
      onOverlongLine(length: number): void;
    },
  ) {}

  push(chunk: Buffer): void {
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline === -1) {
      this.hold(chunk);
      return;
    }
    let whole = chunk.subarray(0, lastNewline);
    if (this.discarding) {
      const firstNewline = chunk.indexOf(10);
      whole = chunk.subarray(firstNewline + 1, lastNewline);
      this.discarding = false;
    } else if (this.pending !== null) {
      whole = Buffer.concat([this.pending, whole]);
    }
    this.pending = null;
    if (whole.length > 0) this.handlers.onLines(whole);
    if (lastNewline + 1 < chunk.length) this.hold(chunk.subarray(lastNewline + 1));
  }

  end(): void {
    if (this.pending !== null && !this.discarding) this.handlers.onLines(this.pending);
    this.pending = null;
  }

  private hold(part: Buffer): void {
    if (this.discarding) return;
    const length = (this.pending?.length ?? 0) + part.length;
    if (length > this.maxLineLength) {
      this.handlers.onOverlongLine(length);
      this.pending = null;
      this.discarding = true;
      return;
    }
    // Copy: a subarray would keep the whole 64 KiB read buffer alive.
    this.pending = this.pending === null ? Buffer.from(part) : Buffer.concat([this.pending, part]);
  }
}
