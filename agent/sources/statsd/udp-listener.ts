import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AddressAttribution } from './address-attribution.js';
import type { ListenAddress } from './listen-address.js';

export interface UdpListener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/**
 * Receives each datagram; addressContainer is the container of its sender ("" for none)
 * when the listener attributes by address, undefined when it does not.
 */
export type PacketHandler = (packet: Buffer, addressContainer?: string) => void;

/**
 * Binds a UDP socket and hands every datagram to onPacket, synchronously, in arrival order;
 * with attribution, each with the container of its sender.
 */
export function listenUdp(
  address: ListenAddress,
  recvBufferSize: number,
  onPacket: PacketHandler,
  onError: (error: Error) => void,
  attribution: AddressAttribution | null = null,
): Promise<UdpListener> {
  const socket = dgram.createSocket({ type: isIPv6(address.host) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    // A socket that failed to bind (port taken) is closed, not leaked.
    const failed = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', failed);
    socket.bind(address.port, address.host, () => {
      socket.off('error', failed);
      socket.on('error', onError);
      // A large kernel buffer rides out flushes and GC pauses without dropping datagrams.
      if (recvBufferSize > 0) {
        try {
          socket.setRecvBufferSize(recvBufferSize);
        } catch (error) {
          onError(error as Error);
        }
      }
      if (attribution === null) socket.on('message', (packet) => onPacket(packet));
      else {
        socket.on('message', (packet, from) => {
          attribution.refresh();
          onPacket(packet, attribution.forText(from.address));
        });
      }
      const bound = socket.address();
      resolve({
        address: { host: bound.address, port: bound.port },
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
