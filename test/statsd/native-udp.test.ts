import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listenUdpNative,
  type NativeUdpListener,
  nativeUdp,
} from '../../agent/sources/statsd/native-udp-listener.js';

/** Sends each payload as its own datagram and resolves once all were handed to the kernel. */
async function sendAll(port: number, payloads: Buffer[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (const payload of payloads) {
    await new Promise<void>((resolve, reject) =>
      socket.send(payload, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
  socket.close();
}

describe('native UDP receiver (recvmmsg addon)', () => {
  let listener: NativeUdpListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('is built (npm ci builds it; without it StatsD falls back to node:dgram)', () => {
    expect(nativeUdp()).not.toBeNull();
  });

  it('delivers every datagram intact, in order, in batches', async () => {
    const received: string[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const payloads = Array.from({ length: 2000 }, (_, i) =>
      Buffer.from(`metric.${i}:${i}|c\nsecond.${i}:1|g`),
    );
    listener = await listenUdpNative(
      { host: '127.0.0.1', port: 0 },
      { recvBufferSize: 8 << 20, maxPacketSize: 1000 },
      (packet) => {
        received.push(packet.toString());
        if (received.length === payloads.length) done();
      },
    );
    expect(listener.address.host).toBe('127.0.0.1');
    expect(listener.address.port).toBeGreaterThan(0);
    await sendAll(listener.address.port, payloads);
    await all;
    expect(received).toEqual(payloads.map((p) => p.toString()));
    expect(listener.kernelDrops()).toBe(0);
  });

  it('hands an oversized datagram over as maxPacketSize + 1 bytes, so it is rejected by size', async () => {
    const sizes: number[] = [];
    let done: () => void = () => {};
    const both = new Promise<void>((resolve) => {
      done = resolve;
    });
    listener = await listenUdpNative(
      { host: 'localhost', port: 0 },
      { recvBufferSize: 0, maxPacketSize: 100 },
      (packet) => {
        sizes.push(packet.length);
        if (sizes.length === 3) done();
      },
    );
    await sendAll(listener.address.port, [
      Buffer.alloc(100, 97),
      Buffer.alloc(5000, 98),
      Buffer.alloc(101, 99),
    ]);
    await both;
    expect(sizes).toEqual([100, 101, 101]);
  });

  it('reports a bind error instead of crashing', async () => {
    listener = await listenUdpNative(
      { host: '127.0.0.1', port: 0 },
      { recvBufferSize: 0, maxPacketSize: 100 },
      () => {},
    );
    const port = listener.address.port;
    await expect(
      listenUdpNative({ host: '127.0.0.1', port }, { recvBufferSize: 0, maxPacketSize: 100 }, () => {}),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'EADDRINUSE',
        message: expect.stringMatching(/^bind: Address (already )?in use/),
      }),
    );
  });
});
