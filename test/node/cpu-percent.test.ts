import { describe, expect, it } from 'vitest';
import { cpuPercentByMode } from '../../agent/sources/node/cpu-percent.js';
import { type CpuTimes, readStat } from '../../agent/sources/node/stat.js';
import { FIXTURE, FIXTURE_LATER } from './helpers.js';

async function cpuOf(root: string): Promise<CpuTimes> {
  const { values } = await readStat(root);
  if (values.cpu === undefined) throw new Error(`no cpu line in ${root}`);
  return values.cpu;
}

const ZERO: CpuTimes = {
  user: 0,
  nice: 0,
  system: 0,
  idle: 0,
  iowait: 0,
  irq: 0,
  softirq: 0,
  steal: 0,
  guest: 0,
  guestNice: 0,
};

describe('cpuPercentByMode', () => {
  it('gives each mode its share of the ticks between the two fixtures', async () => {
    // 5 s on 2 cores = 1000 ticks: user +250, nice +10, system +100, idle +570, iowait +40,
    // irq +0, softirq +20, steal +10 (test/fixtures/proc/README.md).
    expect(cpuPercentByMode(await cpuOf(FIXTURE), await cpuOf(FIXTURE_LATER))).toStrictEqual({
      user: 25,
      nice: 1,
      system: 10,
      idle: 57,
      iowait: 4,
      irq: 0,
      softirq: 2,
      steal: 1,
    });
  });

  it('does not count guest time twice (it is part of user already)', () => {
    const current = { ...ZERO, user: 3, idle: 1, guest: 2, guestNice: 1 };
    expect(cpuPercentByMode(ZERO, current)).toStrictEqual({
      user: 75,
      nice: 0,
      system: 0,
      idle: 25,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
    });
  });

  it('is exact for tick counts that are not exact in binary', () => {
    // 0.1 + 0.2 style seconds: 0.29 s - 0.1 s must be 19 ticks, not 18.999...
    const previous = { ...ZERO, user: 0.1, idle: 0.1 };
    const current = { ...ZERO, user: 0.29, idle: 0.91 };
    expect(cpuPercentByMode(previous, current)).toStrictEqual({
      user: 19,
      nice: 0,
      system: 0,
      idle: 81,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
    });
  });

  it('returns undefined when a counter went backwards', async () => {
    expect(cpuPercentByMode(await cpuOf(FIXTURE_LATER), await cpuOf(FIXTURE))).toBeUndefined();
    // One mode backwards is enough, even when the total grew.
    expect(cpuPercentByMode({ ...ZERO, steal: 1 }, { ...ZERO, idle: 100 })).toBeUndefined();
  });

  it('returns undefined when no time passed', async () => {
    const cpu = await cpuOf(FIXTURE);
    expect(cpuPercentByMode(cpu, cpu)).toBeUndefined();
  });
});
