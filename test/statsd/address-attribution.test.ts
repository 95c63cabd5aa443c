import { afterEach, describe, expect, it } from 'vitest';
import type { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { StatsdSource, type StatsdSourceOptions } from '../../agent/sources/statsd/source.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { engine, flush, seriesKey } from './helpers.js';
import { capturedLogs, closeClient, hotShots, sendFrom, tcpSendFrom, waitFor } from './socket-helpers.js';

const CONTAINERS: Record<string, string> = { '127.0.0.1': 'ctr-a', '127.0.0.2': 'ctr-b', '::1': 'ctr-v6' };

/** A resolver that records every address it is asked about. */
function resolver(map: Record<string, string> = CONTAINERS) {
  const asked: string[] = [];
  let generation = 1;
  return {
    asked,
    bump: () => generation++,
    containerForAddress: (ip: string) => {
      asked.push(ip);
      return map[ip];
    },
    addressGeneration: () => generation,
  };
}

function sourceOptions(overrides: Partial<StatsdSourceOptions>): StatsdSourceOptions {
  return {
    udp: { host: '127.0.0.1', port: 0 },
    tcp: { host: '127.0.0.1', port: 0 },
    maxPacketSize: 65_535,
    maxLineLength: 16_384,
    recvBufferSize: 1 << 20,
    tcpMaxConnections: 16,
    udpReceiver: 'auto',
    // Long enough that no window ends during a test: calls are counted per window.
    addressCacheTtl: 60_000,
    ...overrides,
  };
}

/** Values by series ("counter hits{env=test}@ctr-a" -> 20). */
function totals(points: readonly Datapoint[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [seriesKey(p), p.value]));
}

describe('attribution by sender address on the shared listeners (real sockets, hot-shots)', () => {
  let source: StatsdSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });

  async function start(e: StatsdEngine, options: Partial<StatsdSourceOptions>): Promise<StatsdSource> {
    const { logger, log } = capturedLogs();
    source = new StatsdSource(sourceOptions(options), e, logger, log);
    await source.start();
    return source;
  }

  for (const receiver of ['native', 'dgram'] as const) {
    it(`UDP (${receiver} receiver): address, then c: and tag over it; unattributed lines counted exactly`, async () => {
      const e = engine();
      const r = resolver();
      const s = await start(e, { udpReceiver: receiver, ...r });
      expect(s.udpReceiver).toBe(receiver);
      const udp = s.udpAddress!;

      const plain = hotShots({ port: udp.port, globalTags: { env: 'test' } });
      const withField = hotShots({ port: udp.port, globalTags: { env: 'test' }, containerId: 'dog' });
      const withTag = hotShots({ port: udp.port, globalTags: { env: 'test', container_id: 'tagged' } });
      for (let i = 0; i < 20; i++) plain.increment('hits');
      for (let i = 0; i < 5; i++) withField.increment('hits');
      for (let i = 0; i < 5; i++) withTag.increment('hits');
      await Promise.all([plain, withField, withTag].map(closeClient));
      await sendFrom(
        '127.0.0.2',
        udp,
        Array.from({ length: 10 }, () => 'hits:1|c|#env:test'),
      );
      // Unknown sender: 4 datagrams, 7 lines, one of which names its container itself.
      await sendFrom('127.0.0.3', udp, [
        'hits:1|c|#env:test',
        'hits:1|c|#env:test\nhits:1|c|#env:test',
        'hits:1|c|#env:test\nhits:1|c|#env:test\nhits:1|c|#env:test|c:dog',
        'hits:1|c|#env:test',
      ]);
      await waitFor(() => e.stats.lines === 47, 'all 47 lines');

      expect(totals(flush(e))).toEqual({
        'counter hits{env=test}@ctr-a': 20,
        'counter hits{env=test}@dog': 6,
        'counter hits{env=test}@tagged': 5,
        'counter hits{env=test}@ctr-b': 10,
        'counter hits{env=test}': 6,
      });
      expect(e.aggregator.unattributed).toBe(6);
      // 44 datagrams from three addresses: the resolver was asked once for each.
      expect([...r.asked].sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);

      // The resolver's map changed: asked again, once.
      r.bump();
      await sendFrom('127.0.0.2', udp, ['after:1|c', 'after:2|c', 'after:4|c']);
      await waitFor(() => e.stats.lines === 50, 'the 3 lines after the change');
      expect(r.asked.filter((ip) => ip === '127.0.0.2')).toHaveLength(2);
      expect(r.asked).toHaveLength(4);
      expect(totals(flush(e))).toEqual({ 'counter after{}@ctr-b': 7 });
    });

    it(`UDP (${receiver} receiver) on a dual-stack socket reports IPv4 senders as IPv4, IPv6 as IPv6`, async () => {
      const e = engine();
      const r = resolver();
      const s = await start(e, { udpReceiver: receiver, udp: { host: '::', port: 0 }, tcp: null, ...r });
      const { port } = s.udpAddress!;
      await sendFrom('127.0.0.2', { host: '127.0.0.1', port }, ['v4:1|c']);
      await sendFrom('::1', { host: '::1', port }, ['v6:1|c', 'v6:1|c']);
      await waitFor(() => e.stats.lines === 3, 'the 3 lines');
      expect(totals(flush(e))).toEqual({ 'counter v4{}@ctr-b': 1, 'counter v6{}@ctr-v6': 2 });
      expect(r.asked).toEqual(['127.0.0.2', '::1']);
    });
  }

  it('TCP: by the address of each connection; unattributed lines counted exactly', async () => {
    const e = engine();
    const r = resolver();
    const s = await start(e, { udp: null, ...r });
    const { port } = s.tcpAddress!;
    const client = hotShots({ port, protocol: 'tcp', globalTags: { env: 'test' } });
    for (let i = 0; i < 10; i++) client.increment('hits');
    client.increment('hits', 1, { container_id: 'tagged' });
    await closeClient(client);
    await tcpSendFrom('127.0.0.2', port, 'hits:1|c|#env:test\n'.repeat(3));
    await tcpSendFrom('127.0.0.3', port, 'hits:1|c|#env:test\nhits:2|c|#env:test\nhits:1|c|#env:test|c:dog');
    await waitFor(() => e.stats.lines === 17, 'all 17 lines');
    expect(totals(flush(e))).toEqual({
      'counter hits{env=test}@ctr-a': 10,
      'counter hits{env=test}@tagged': 1,
      'counter hits{env=test}@ctr-b': 3,
      'counter hits{env=test}@dog': 1,
      'counter hits{env=test}': 3,
    });
    expect(e.aggregator.unattributed).toBe(2);
    expect([...r.asked].sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });

  it('without a resolver attribution is off: nothing is unattributed, nothing is asked', async () => {
    const e = engine();
    const s = await start(e, {});
    expect(s.addressAttribution).toBeNull();
    const udp = hotShots({ port: s.udpAddress!.port });
    const tcp = hotShots({ port: s.tcpAddress!.port, protocol: 'tcp' });
    for (let i = 0; i < 4; i++) {
      udp.increment('hits');
      tcp.increment('hits');
    }
    await Promise.all([udp, tcp].map(closeClient));
    await waitFor(() => e.stats.lines === 8, 'all 8 lines');
    expect(totals(flush(e))).toEqual({ 'counter hits{}': 8 });
    expect(e.aggregator.unattributed).toBe(0);
  });
});
