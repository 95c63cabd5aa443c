import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';

describe('cgroup.patterns', () => {
  it('takes "runtime:regex" lines from the environment, compiled in order', () => {
    const config = loadConfig({
      command: 'agent',
      env: { CORRAL_CGROUP_PATTERNS: 'nomad:^/nomad/(?<id>[0-9a-f-]{36})$\nlxc:^/lxc/(?<id>[^/]+)$' },
    });
    const [nomad, lxc] = config.cgroup.patterns;
    expect([nomad!.runtime, lxc!.runtime]).toEqual(['nomad', 'lxc']);
    expect(nomad!.regex.exec('/nomad/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0')?.groups?.id).toBe(
      '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    );
    expect(lxc!.regex.exec('/lxc/web-1')?.groups?.id).toBe('web-1');
  });

  it('takes a JSON array from a flag', () => {
    const config = loadConfig({ command: 'agent', flags: { 'cgroup.patterns': '["x:^/x/(?<id>\\\\d+)$"]' } });
    expect(config.cgroup.patterns[0]!.regex.test('/x/42')).toBe(true);
  });

  it('rejects a pattern without an id group, naming the key', () => {
    let error: unknown;
    try {
      loadConfig({ command: 'agent', env: { CORRAL_CGROUP_PATTERNS: 'x:^/x/(\\d+)$' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('cgroup.patterns');
    expect((error as Error).message).toContain('named group "id"');
  });
});
