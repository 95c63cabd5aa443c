/** The native load sender (sender.c): built once per run, then one process per load. */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnPinned } from './proc.js';

export interface Load {
  linesPerPacket: number;
  /** Offered packets per second; 0 sends as fast as the sender can. */
  pps: number;
  seconds: number;
  tagged: boolean;
  /** Distinct series per sender. */
  series: number;
  /** Parallel sender processes, each with its own series. */
  senders: number;
}

export interface SendResult {
  packets: number;
  lines: number;
  bytes: number;
  seconds: number;
}

/** Compiles sender.c with cc -O2 into tmpDir; returns the binary's path. */
export function buildSender(sourceDir: string, tmpDir: string): string {
  mkdirSync(tmpDir, { recursive: true });
  const binary = join(tmpDir, 'statsd-sender');
  execFileSync('cc', ['-O2', '-Wall', '-o', binary, join(sourceDir, 'sender.c')], { stdio: 'inherit' });
  return binary;
}

function runOne(binary: string, cpu: number | null, port: number, load: Load, offset: number) {
  const pps = load.pps / load.senders;
  const args = [
    '127.0.0.1',
    String(port),
    String(load.linesPerPacket),
    String(pps),
    String(load.seconds),
    String(offset),
    load.tagged ? '1' : '0',
    String(load.series),
  ];
  return new Promise<SendResult>((resolve, reject) => {
    const child = spawnPinned(cpu, binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sender exited with ${code}`));
      const r = JSON.parse(out) as Record<string, number>;
      resolve({
        packets: r.packets_sent!,
        lines: r.lines_sent!,
        bytes: r.bytes_sent!,
        seconds: r.seconds!,
      });
    });
  });
}

/** Runs load.senders senders in parallel on `cpu`; resolves with their sums when all are done. */
export async function send(
  binary: string,
  cpu: number | null,
  port: number,
  load: Load,
): Promise<SendResult> {
  const runs = Array.from({ length: load.senders }, (_, i) => runOne(binary, cpu, port, load, i));
  const results = await Promise.all(runs);
  return {
    packets: results.reduce((sum, r) => sum + r.packets, 0),
    lines: results.reduce((sum, r) => sum + r.lines, 0),
    bytes: results.reduce((sum, r) => sum + r.bytes, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
  };
}
