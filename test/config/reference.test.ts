import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settings } from '../../lib/config/keys.js';
import { configReference, extractReference, replaceReference } from '../../lib/config/reference.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');

describe('configuration reference', () => {
  it('has a row per setting with its flag, variable and default', () => {
    const table = configReference();
    expect(table.split('\n')).toHaveLength(settings.length + 2);
    expect(table).toContain(
      '| `statsd.flushInterval` | `--statsd-flush-interval` | `CORRAL_STATSD_FLUSH_INTERVAL` | `10s` | How often',
    );
    expect(table).toContain(
      '| `agent.sources` | `--sources` | `CORRAL_AGENT_SOURCES` | `statsd,cgroup,node,self` |',
    );
  });

  it('replaces only the block between the markers', () => {
    const markdown = 'intro\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\noutro\n';
    const updated = replaceReference(markdown, 'NEW');
    expect(updated).toBe(
      'intro\n<!-- config-reference:start -->\nNEW\n<!-- config-reference:end -->\noutro\n',
    );
    expect(extractReference(updated)).toBe('NEW');
    expect(() => replaceReference('no markers', 'NEW')).toThrow('missing');
  });

  it('is up to date in README.md (run `npm run docs:config`)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(extractReference(readme)).toBe(configReference());
    for (const s of settings) expect(readme).toContain(`\`${s.key}\``);
  });
});
