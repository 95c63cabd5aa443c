import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLoadavg } from '../../agent/sources/node/loadavg.js';
import { readMeminfo } from '../../agent/sources/node/meminfo.js';
import { readNetDev } from '../../agent/sources/node/net-dev.js';
import { countProcesses } from '../../agent/sources/node/processes.js';
import { readStat } from '../../agent/sources/node/stat.js';
import { readUptime } from '../../agent/sources/node/uptime.js';
import { FIXTURE, NOWHERE, procWith, removeProcRoots } from './helpers.js';

afterAll(removeProcRoots);

describe('readStat', () => {
  it('reads the aggregate cpu line in seconds, the cores and the counters', async () => {
    expect(await readStat(FIXTURE)).toStrictEqual({
      values: {
        cpu: {
          user: 842.6,
          nice: 12.04,
          system: 315.88,
          idle: 18239.06,
          iowait: 45.12,
          irq: 0,
          softirq: 18.35,
          steal: 3.12,
          guest: 0,
          guestNice: 0,
        },
        cores: 2,
        processes: 48211,
        procsRunning: 2,
        procsBlocked: 1,
        bootTime: 1718000000,
      },
      problems: [],
    });
  });

  it('counts the columns an old kernel does not print as 0', async () => {
    const root = procWith({
      stat: 'cpu  100 0 50 1000\ncpu0 100 0 50 1000\nbtime 1\nprocesses 2\nprocs_running 1\nprocs_blocked 0\n',
    });
    const { values, problems } = await readStat(root);
    expect(values.cpu).toStrictEqual({
      user: 1,
      nice: 0,
      system: 0.5,
      idle: 10,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
      guest: 0,
      guestNice: 0,
    });
    expect(problems).toStrictEqual([]);
  });

  it('omits only what is garbage and names it', async () => {
    const root = procWith({
      stat: 'cpu  12 x 3 4\ncpu0 1 2 3 4\ncpu1 1 2 3 4\nprocesses 7\nprocs_running -1\n',
    });
    expect(await readStat(root)).toStrictEqual({
      values: { cores: 2, processes: 7 },
      problems: [
        {
          file: join(root, 'stat'),
          reason: 'malformed',
          detail: 'missing or bad: cpu, procs_running, procs_blocked, btime',
        },
      ],
    });
  });

  it('reports a missing file without throwing', async () => {
    expect(await readStat(NOWHERE)).toStrictEqual({
      values: {},
      problems: [{ file: join(NOWHERE, 'stat'), reason: 'missing', detail: 'ENOENT' }],
    });
  });
});

describe('readLoadavg', () => {
  it('reads the three averages and the running/total entities', async () => {
    expect(await readLoadavg(FIXTURE)).toStrictEqual({
      values: { load1: 0.25, load5: 0.2, load15: 0.18, running: 2, total: 345 },
      problems: [],
    });
  });

  it.each([[''], ['0.25 0.20 0.18\n'], ['0.25 0.20 abc 2/345 12345\n'], ['0.25 0.20 0.18 2-345 12345\n']])(
    'reports %j as malformed',
    async (text) => {
      const root = procWith({ loadavg: text });
      expect(await readLoadavg(root)).toStrictEqual({
        values: {},
        problems: [{ file: join(root, 'loadavg'), reason: 'malformed' }],
      });
    },
  );
});

describe('readMeminfo', () => {
  it('reads the memory and swap lines in bytes', async () => {
    expect(await readMeminfo(FIXTURE)).toStrictEqual({
      values: {
        total: 4121894912,
        free: 319954944,
        available: 2781536256,
        buffers: 121159680,
        cached: 2256433152,
        swapTotal: 2147479552,
        swapFree: 1879044096,
        swapUsed: 268435456,
      },
      problems: [],
    });
  });

  it('omits the keys it cannot read (MemAvailable before 3.14, a garbled swap line)', async () => {
    const root = procWith({
      meminfo:
        'MemTotal:  1000 kB\nMemFree:  200 kB\nBuffers:  10 kB\nCached:  300 kB\nSwapTotal:  x kB\nSwapFree:  0 kB\n',
    });
    expect(await readMeminfo(root)).toStrictEqual({
      values: { total: 1024000, free: 204800, buffers: 10240, cached: 307200, swapFree: 0 },
      problems: [
        {
          file: join(root, 'meminfo'),
          reason: 'malformed',
          detail: 'missing or bad: MemAvailable, SwapTotal',
        },
      ],
    });
  });

  it('reports a missing file', async () => {
    const { values, problems } = await readMeminfo(NOWHERE);
    expect(values).toStrictEqual({});
    expect(problems).toStrictEqual([{ file: join(NOWHERE, 'meminfo'), reason: 'missing', detail: 'ENOENT' }]);
  });
});

describe('readNetDev', () => {
  it('reads rx and tx of every interface but lo', async () => {
    expect(await readNetDev(FIXTURE)).toStrictEqual({
      values: [
        {
          interface: 'eth0',
          rx: { bytes: 1836450211, packets: 2456123, errors: 3, drops: 17 },
          tx: { bytes: 412398765, packets: 1523678, errors: 1, drops: 2 },
        },
        {
          interface: 'docker0',
          rx: { bytes: 5123987, packets: 61234, errors: 0, drops: 0 },
          tx: { bytes: 98123456, packets: 72345, errors: 0, drops: 4 },
        },
        {
          interface: 'veth3a1b2c4',
          rx: { bytes: 2345678, packets: 20345, errors: 0, drops: 0 },
          tx: { bytes: 45678901, packets: 30456, errors: 0, drops: 0 },
        },
      ],
      problems: [],
    });
  });

  it('loses only the bad line, and reads old kernels with no space after the colon', async () => {
    const header = 'Inter-|   Receive\n face |bytes\n';
    const root = procWith({
      dev: `${header}  eth0:1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n  eth1: 1 2 3\n`,
    });
    expect(await readNetDev(root, 'dev')).toStrictEqual({
      values: [
        {
          interface: 'eth0',
          rx: { bytes: 1, packets: 2, errors: 3, drops: 4 },
          tx: { bytes: 5, packets: 6, errors: 7, drops: 8 },
        },
      ],
      problems: [{ file: join(root, 'dev'), reason: 'malformed', detail: 'bad line: eth1: 1 2 3' }],
    });
  });
});

describe('readUptime', () => {
  it('reads the seconds since boot', async () => {
    expect(await readUptime(FIXTURE)).toStrictEqual({ values: { uptime: 98765.43 }, problems: [] });
  });

  it('reports garbage as malformed', async () => {
    const root = procWith({ uptime: 'up 3 days\n' });
    expect(await readUptime(root)).toStrictEqual({
      values: {},
      problems: [{ file: join(root, 'uptime'), reason: 'malformed' }],
    });
  });
});

describe('countProcesses', () => {
  it('counts the numeric directories only', async () => {
    // The fixture holds 1/, 1234/, later/ and net/.
    expect(await countProcesses(FIXTURE)).toStrictEqual({ values: { processes: 2 }, problems: [] });
  });

  it('does not count numeric files', async () => {
    expect(await countProcesses(procWith({ '42': '' }))).toStrictEqual({
      values: { processes: 0 },
      problems: [],
    });
  });

  it('reports a missing procRoot', async () => {
    expect(await countProcesses(NOWHERE)).toStrictEqual({
      values: {},
      problems: [{ file: NOWHERE, reason: 'missing', detail: 'ENOENT' }],
    });
  });
});
