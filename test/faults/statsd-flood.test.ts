/**
 * A flood of malformed StatsD lines and oversized datagrams mixed into good traffic (raw UDP
 * datagrams, besides the steady hot-shots load): every bad line is rejected and counted by its
 * reason, an oversized datagram is dropped whole and counted once, and every good line in a
 * datagram of accepted size is stored exactly once, whatever shares its datagram.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { metricByLabel, metricTotal } from './harness/pipeline.js';
import { storedLines } from './harness/reconciliation.js';
import { finish, startLoaded, usePipeline, waitForLoadStored } from './harness/scenario.js';

const MAX_PACKET = 4096;
const MAX_LINE = 1024;
const ROUNDS = 400;

/** One bad line per reject reason (docs/statsd.md#rejects). */
const BAD_LINES: [string | Buffer, string][] = [
  ['faults.flood.bad|c', 'no_value'],
  ['faults.flood.bad:1|x', 'unknown_type'],
  ['faults.flood.bad:abc|c', 'not_a_number'],
  ['faults.flood.bad:NaN|c', 'non_finite'],
  [Buffer.from([0x66, 0x61, 0xff, 0x3a, 0x31, 0x7c, 0x63]), 'invalid_utf8'],
  ['!!!:1|c', 'empty_name'],
  ['faults.flood.bad:1|c|@1.5', 'bad_sample_rate'],
  ['faults.flood.bad:1|c|#:v', 'malformed_tags'],
  ['faults.flood.bad:1|c|T1.5', 'bad_timestamp'],
  ['_e{5,4}:hello|world', 'unsupported'],
  [`faults.flood.bad:1|c|#pad:${'x'.repeat(MAX_LINE)}`, 'line_too_long'],
  ['faults.flood.bad:1|c|c:', 'bad_container'],
];

describe('fault: malformed lines and oversized datagrams mixed into good traffic', () => {
  const pipeline = usePipeline('statsd-flood');

  it('rejects and counts each bad line and oversized datagram, and stores every good line exactly once', {
    timeout: 120_000,
  }, async (context) => {
    const running = await startLoaded(pipeline(), {
      agentArgs: [
        '--statsd-max-packet-size',
        String(MAX_PACKET),
        '--statsd-max-line-length',
        String(MAX_LINE),
      ],
    });
    const { agent, query, load } = running;
    const scenario = load.scenario;

    // Each round: a datagram of good lines with every kind of bad line between them; every
    // 8th round also a datagram over the size limit, made of good lines only.
    const good = (i: number) => `faults.flood.g${i % 4}:1|c|#scenario:${scenario}`;
    const socket = createSocket('udp4');
    const send = (datagram: Buffer) =>
      new Promise<void>((resolve, reject) =>
        socket.send(datagram, agent.process.udpPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    const sent = { goodLines: 0, badLines: 0, oversized: 0, goodInOversized: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const lines: Buffer[] = [];
      for (const [bad] of BAD_LINES) {
        lines.push(Buffer.from(good(sent.goodLines++)), Buffer.from(bad));
        sent.badLines++;
      }
      lines.push(Buffer.from(good(sent.goodLines++)));
      await send(Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
      if (round % 8 === 0) {
        const oversized: string[] = [];
        while (oversized.join('\n').length <= MAX_PACKET) oversized.push(good(oversized.length));
        await send(Buffer.from(oversized.join('\n')));
        sent.oversized++;
        sent.goodInOversized += oversized.length;
      }
      // A round every 10 ms, between the load's lines.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    socket.close();
    const recoveryMs = await waitForLoadStored(running);

    const rejected = async () => {
      const metrics = await agent.metrics();
      expect(metricTotal(metrics, 'corral_statsd_udp_kernel_drops_total')).toBe(0);
      const { packet_too_large: datagrams, ...lines } = metricByLabel(
        metrics,
        'corral_statsd_lines_rejected_total',
        'reason',
      );
      return { datagrams, lines };
    };
    await finish(context, running, {
      recoveryMs,
      // The agent received the load's lines and the flood's lines in accepted datagrams.
      extraLines: sent.goodLines + sent.badLines,
      other: async () => {
        const { datagrams, lines } = await rejected();
        return {
          sent: sent.goodLines + sent.badLines + sent.goodInOversized,
          stored: await storedLines(query, scenario, 'faults.flood.'),
          dropped: { ...lines, [`packet_too_large (${datagrams} datagrams)`]: sent.goodInOversized },
        };
      },
    });
    const { datagrams: oversizedCounted, lines: badCounted } = await rejected();
    const floodStored = await storedLines(query, scenario, 'faults.flood.');
    expect(badCounted).toEqual(Object.fromEntries(BAD_LINES.map(([, reason]) => [reason, ROUNDS])));
    expect(oversizedCounted).toBe(sent.oversized);
    expect(floodStored).toBe(sent.goodLines);
  });
});
