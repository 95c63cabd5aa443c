import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { firstPid } from '../../agent/sources/cgroup/readers/first-pid.js';
import { readNetDev } from '../../agent/sources/node/net-dev.js';

// Expected values: test/fixtures/cgroup-files/README.md. A container's interfaces are read
// from /proc/<a member pid>/net/dev with the node source's parser (tested in test/node).
const FIXTURES = fileURLToPath(new URL('../fixtures/cgroup-files/', import.meta.url));
const PROC = `${FIXTURES}proc`;

describe('container network (via a member process)', () => {
  it('reads each interface but lo, transmit from the 9th column on', async () => {
    const { values, problems } = await readNetDev(PROC, '4242/net/dev');
    expect(problems).toEqual([]);
    expect(values).toEqual([
      {
        interface: 'eth0',
        rx: { bytes: 393009607, packets: 13906, errors: 1, drops: 2 },
        tx: { bytes: 968084, packets: 8789, errors: 7, drops: 8 },
      },
      {
        interface: 'veth1a2b3c4',
        rx: { bytes: 5000, packets: 50, errors: 0, drops: 0 },
        tx: { bytes: 6000, packets: 60, errors: 0, drops: 1 },
      },
    ]);
  });

  it('a line without the transmit columns loses that interface, reported as malformed', async () => {
    const { values, problems } = await readNetDev(PROC, '4243/net/dev');
    expect(values).toEqual([]);
    expect(problems.map((p) => p.reason)).toEqual(['malformed']);
  });

  it('a process that exited reports the file missing', async () => {
    const { values, problems } = await readNetDev(PROC, '999999/net/dev');
    expect(values).toEqual([]);
    expect(problems.map((p) => p.reason)).toEqual(['missing']);
  });
});

describe('firstPid', () => {
  it('is the first line of cgroup.procs', async () => {
    expect(firstPid(`${FIXTURES}v2/normal`)).toBe(4242);
  });

  it('is undefined for an empty cgroup or a missing one', async () => {
    expect(firstPid(`${FIXTURES}v2/unlimited`)).toBeUndefined();
    expect(firstPid(`${FIXTURES}v2/no-such-container`)).toBeUndefined();
  });
});
