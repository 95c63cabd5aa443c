import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { KafkaSink, type RecordTransport } from '../../agent/sinks/kafka/kafka-sink.js';
import type { OutgoingRecord } from '../../agent/sinks/kafka/producer.js';
import type { RecordEncoder } from '../../agent/sinks/shared/encoding-sink.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { ids, makeRecord, range, useSpoolDir } from '../spool/helpers.js';

const log = new RateLimitedLog(pino({ level: 'silent' }));

/** One record per datapoint, its id (the datapoint's value) in the record's value; -1: 64 KiB. */
const encoder: RecordEncoder = {
  metrics: (batch) =>
    batch.map((point) => () => [point.value < 0 ? makeRecord(0, 65_536) : makeRecord(point.value)]),
  events: () => [],
  metadata: () => [],
};

function flush(from: number, to: number): Datapoint[] {
  return range(from, to).map((value) => ({ name: 'm', kind: 'gauge', value, unit: '', timeMs: 0, tags: {} }));
}

/**
 * Records every send; each one waits until the test settles it. Checks that only one send is
 * in flight and that the spool never acknowledged more than Kafka took.
 */
function controlledTransport(acked: () => number) {
  const sends: number[][] = [];
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** From then on every send succeeds at once. */
  let open = false;
  let inFlight = 0;
  let taken = 0;
  const violations: string[] = [];
  const transport: RecordTransport = {
    send(records: readonly OutgoingRecord[]) {
      if (inFlight > 0) violations.push('two sends in flight');
      if (acked() > taken) violations.push(`acknowledged ${acked()} with ${taken} taken by Kafka`);
      inFlight++;
      sends.push(ids(records));
      return new Promise<void>((resolve, reject) => {
        if (open) {
          inFlight--;
          taken += records.length;
          setImmediate(resolve);
          return;
        }
        pending.push({
          resolve: () => {
            inFlight--;
            taken += records.length;
            resolve();
          },
          reject: (error) => {
            inFlight--;
            reject(error);
          },
        });
      });
    },
    disconnect: async () => {},
  };
  /** Settles the oldest unsettled send once it has been made. */
  const settle = async (outcome: 'ok' | 'fail') => {
    await expect.poll(() => pending.length, { timeout: 2000 }).toBeGreaterThan(0);
    const next = pending.shift()!;
    if (outcome === 'ok') next.resolve();
    else next.reject(new Error('broker down'));
  };
  const openUp = () => {
    open = true;
    for (const next of pending.splice(0)) next.resolve();
  };
  return { transport, sends, settle, openUp, violations };
}

describe('KafkaSink drain (real spool, a transport the test controls)', () => {
  const fixture = useSpoolDir();

  it('sends in append order, one send at a time, acknowledging only what Kafka took', async () => {
    const { spool } = await fixture.open({ segmentBytes: 4096 });
    const kafka = controlledTransport(() => spool.stats.acked);
    const sink = new KafkaSink(spool, encoder, kafka.transport, log, { batchRecords: 25 });
    const peek = vi.spyOn(spool, 'peek');

    await sink.write(flush(0, 10));
    // Written while the first send is in flight: they wait, and nothing is acknowledged yet.
    await sink.write(flush(10, 20));
    await sink.write(flush(20, 60));
    await expect.poll(() => kafka.sends.length).toBe(1);
    expect(spool.stats.acked).toBe(0);
    await kafka.settle('ok');
    kafka.openUp();
    expect(await sink.flushed(2000)).toBe(true);

    // The next batch was read while the previous one was in flight.
    expect(peek.mock.calls.some(([, , after]) => after !== undefined)).toBe(true);
    // The first flush went out whole, as soon as it was spooled.
    expect(kafka.sends[0]).toEqual(range(0, 10));
    expect(kafka.sends.flat()).toEqual(range(0, 60));
    expect(Math.max(...kafka.sends.map((send) => send.length))).toBeLessThanOrEqual(25);
    expect(kafka.violations).toEqual([]);
    expect(sink.stats).toMatchObject({ sent: 60, sendFailures: 0 });
    // Once closed, the last acknowledgment is written too.
    await sink.close();
    expect(spool.stats).toMatchObject({ acked: 60, records: 0 });
  });

  it('keeps the batch of a failed send spooled and sends it again first', async () => {
    const { spool } = await fixture.open({ segmentBytes: 4096 });
    const kafka = controlledTransport(() => spool.stats.acked);
    const sink = new KafkaSink(spool, encoder, kafka.transport, log, { batchRecords: 8, retryMinMs: 10 });

    await sink.write(flush(0, 20));
    await kafka.settle('ok');
    // The batch read ahead fails: it and everything after it stay spooled.
    await kafka.settle('fail');
    await sink.write(flush(20, 24));
    kafka.openUp();
    expect(await sink.flushed(2000)).toBe(true);

    expect(kafka.sends.slice(0, 3)).toEqual([range(0, 8), range(8, 16), range(8, 16)]);
    expect([kafka.sends[0], ...kafka.sends.slice(2)].flat()).toEqual(range(0, 24));
    expect(kafka.violations).toEqual([]);
    expect(sink.stats).toMatchObject({ sent: 24, sendFailures: 1 });
    await sink.close();
    expect(spool.stats).toMatchObject({ acked: 24, records: 0 });
  });

  it('goes on spooling and sending after a write the spool refused', async () => {
    const { spool } = await fixture.open({ segmentBytes: 4096, maxBytes: 16_384 });
    const kafka = controlledTransport(() => spool.stats.acked);
    kafka.openUp();
    const sink = new KafkaSink(spool, encoder, kafka.transport, log);

    await expect(sink.write(flush(-1, 0))).rejects.toThrow(/can't fit in maxBytes/);
    await sink.write(flush(0, 5));
    expect(await sink.flushed(2000)).toBe(true);
    expect(kafka.sends.flat()).toEqual(range(0, 5));
    await sink.close();
  });
});
