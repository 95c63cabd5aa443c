/**
 * Not a StatsD server: a bare node:dgram socket that only counts packets and lines, to show
 * what Node's UDP receive path alone allows on one core (the floor under both servers' cost).
 * Same IPC messages as agent-server.ts. Argument: an AgentServerConfig as JSON.
 */
import dgram from 'node:dgram';
import type { AgentServerConfig, Reply, Request } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as AgentServerConfig;
const counts = { packets: 0, lines: 0 };
const socket = dgram.createSocket('udp4');

socket.on('message', (packet: Buffer) => {
  counts.packets++;
  let lines = 1;
  for (let i = packet.indexOf(10); i !== -1; i = packet.indexOf(10, i + 1)) lines++;
  counts.lines += lines;
});

function send(reply: Reply): void {
  process.send?.(reply);
}

function stats(id: number): Reply {
  return { type: 'stats', id, packets: counts.packets, lines: counts.lines, rejected: 0, flushes: 0 };
}

process.on('message', (message: Request) => {
  if (message.type === 'stats') send(stats(message.id));
  else if (message.type === 'stop') {
    socket.close(() => {
      send(stats(message.id));
      process.disconnect?.();
    });
  }
});

socket.bind(0, '127.0.0.1', () => {
  if (config.recvBufferSize > 0) socket.setRecvBufferSize(config.recvBufferSize);
  send({ type: 'ready', port: socket.address().port });
});
