import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ListenAddress } from './listen-address.js';

export interface UdpListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Binds a UDP socket and hands every datagram to onPacket, synchronously, in arrival order. */
export function listenUdp(
  address: ListenAddress,
  recvBufferSize: number,
  onPacket: (packet: Buffer) => void,
  onError: (error: Error) => void,
): Promise<UdpListener> {
  const socket = dgram.createSocket({ type: isIPv6(address.host) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(address.port, address.host, () => {
      socket.off('error', reject);
      socket.on('error', onError);
      // A large kernel buffer rides out flushes and GC pauses without dropping datagrams.
      if (recvBufferSize > 0) {
        try {
          socket.setRecvBufferSize(recvBufferSize);
        } catch (error) {
          onError(error as Error);
        }
      }
      socket.on('message', onPacket);
      const bound = socket.address();
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
