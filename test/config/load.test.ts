import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type LoadConfigOptions, loadConfig } from '../../lib/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a config file into the temp dir and returns its name (relative to the dir). */
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function load(options: Partial<LoadConfigOptions>) {
  return loadConfig({ command: 'agent', env: {}, cwd: dir, ...options });
}

/** The ConfigError thrown by loadConfig, failing the test when it does not throw one. */
function configError(options: Partial<LoadConfigOptions>): ConfigError {
  try {
    load(options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig precedence', () => {
  const yaml = file('precedence.yaml', 'statsd:\n  flushInterval: 20s\n  idleTtl: 2m\n  maxSeries: 7\n');

  it('uses the default when nothing sets a key', () => {
    expect(load({}).statsd.flushInterval).toBe(10_000);
  });

  it('file beats default', () => {
    expect(load({ flags: { config: yaml } }).statsd.flushInterval).toBe(20_000);
  });

  it('environment beats file', () => {
    const config = load({ flags: { config: yaml }, env: { CORRAL_STATSD_FLUSH_INTERVAL: '30s' } });
    expect(config.statsd.flushInterval).toBe(30_000);
    expect(config.statsd.idleTtl).toBe(120_000);
  });

  it('flag beats environment', () => {
    const config = load({
      flags: { config: yaml, 'statsd.flushInterval': '40s' },
      env: { CORRAL_STATSD_FLUSH_INTERVAL: '30s', CORRAL_STATSD_IDLE_TTL: '3m' },
    });
    expect(config.statsd.flushInterval).toBe(40_000);
    expect(config.statsd.idleTtl).toBe(180_000);
    expect(config.statsd.maxSeries).toBe(7);
  });

  it('takes the config file from CORRAL_CONFIG, and --config over it', () => {
    const other = file('other.yaml', 'statsd:\n  maxSeries: 9\n');
    expect(load({ env: { CORRAL_CONFIG: yaml } }).statsd.maxSeries).toBe(7);
    expect(load({ env: { CORRAL_CONFIG: yaml }, flags: { config: other } }).statsd.maxSeries).toBe(9);
  });

  it('ignores environment variables without the CORRAL_ prefix', () => {
    expect(load({ env: { PATH: '/bin', STATSD_FLUSH_INTERVAL: 'x' } }).statsd.flushInterval).toBe(10_000);
  });
});

describe('loadConfig values from text', () => {
  it('parses every kind of value from environment variables', () => {
    const config = load({
      env: {
        CORRAL_LOG_LEVEL: 'debug',
        CORRAL_AGENT_SOURCES: 'statsd',
        CORRAL_AGENT_SINK: 'null',
        CORRAL_STATSD_UDP: '[::1]:0',
        CORRAL_STATSD_TCP: 'off',
        CORRAL_STATSD_RECV_BUFFER_SIZE: '64KiB',
        CORRAL_STATSD_PERCENTILES: '50,99.9',
        CORRAL_STATSD_TCP_MAX_CONNECTIONS: '8',
        CORRAL_STATSD_FLUSH_INTERVAL: '1m30s',
      },
    });
    expect(config.log.level).toBe('debug');
    expect(config.agent).toMatchObject({ sources: ['statsd'], sink: 'null' });
    expect(config.statsd.udp).toEqual({ host: '::1', port: 0 });
    expect(config.statsd.tcp).toBeNull();
    expect(config.statsd.recvBufferSize).toBe(65_536);
    expect(config.statsd.percentiles).toEqual([50, 99.9]);
    expect(config.statsd.tcpMaxConnections).toBe(8);
    expect(config.statsd.flushInterval).toBe(90_000);
  });
});

describe('loadConfig files', () => {
  it('reads YAML', () => {
    const name = file(
      'full.yml',
      [
        'log:',
        '  level: warn',
        '  format: json',
        'agent:',
        '  sources: [statsd]',
        'statsd:',
        '  udp: off',
        '  tcp: 0.0.0.0:9125',
        '  percentiles: [50, 99.9]',
        '  recvBufferSize: 1MiB',
        '  maxPacketSize: 1432',
        'collector:',
        '',
      ].join('\n'),
    );
    const config = load({ flags: { config: name } });
    expect(config.log).toEqual({ level: 'warn', format: 'json' });
    expect(config.statsd.udp).toBeNull();
    expect(config.statsd.tcp).toEqual({ host: '0.0.0.0', port: 9125 });
    expect(config.statsd.percentiles).toEqual([50, 99.9]);
    expect(config.statsd.recvBufferSize).toBe(1_048_576);
    expect(config.statsd.maxPacketSize).toBe(1432);
  });

  it('reads JSON', () => {
    const name = file(
      'full.json',
      JSON.stringify({ statsd: { flushInterval: '500ms', percentiles: '90,99' } }),
    );
    const config = load({ flags: { config: join(dir, name) } });
    expect(config.statsd.flushInterval).toBe(500);
    expect(config.statsd.percentiles).toEqual([90, 99]);
  });

  it('treats an empty YAML file as no settings', () => {
    expect(load({ flags: { config: file('empty.yaml', '') } }).statsd.flushInterval).toBe(10_000);
  });

  it('validates but allows sections the subcommand does not use', () => {
    const name = file('shared.yaml', 'statsd:\n  maxSeries: 5\ncollector: {}\n');
    expect(load({ command: 'collector', flags: { config: name } }).statsd.maxSeries).toBe(5);
    const bad = file('shared-bad.yaml', 'statsd:\n  maxSeries: none\n');
    expect(configError({ command: 'collector', flags: { config: bad } }).key).toBe('statsd.maxSeries');
  });
});

describe('loadConfig errors', () => {
  it('names an unknown file key, the file and the closest known key', () => {
    const name = file('typo.yaml', 'statsd:\n  flushIntervl: 10s\n');
    const err = configError({ flags: { config: name } });
    expect(err.key).toBe('statsd.flushIntervl');
    expect(err.message).toBe(
      'unknown key statsd.flushIntervl in typo.yaml (did you mean statsd.flushInterval?)',
    );
  });

  it('names an unknown section', () => {
    const name = file('section.json', '{"statd": {}}');
    expect(configError({ flags: { config: name } }).message).toBe(
      'unknown key statd in section.json (did you mean statsd?)',
    );
  });

  it('rejects a section that is not a mapping and a file that is not a mapping', () => {
    expect(configError({ flags: { config: file('scalar-section.yaml', 'statsd: 5\n') } }).message).toBe(
      'statsd: expected a mapping of settings, got 5 (from scalar-section.yaml)',
    );
    expect(configError({ flags: { config: file('list.yaml', '- a\n') } }).message).toBe(
      'config file list.yaml must hold a mapping of sections, got ["a"]',
    );
  });

  it('names an unknown CORRAL_ environment variable', () => {
    const err = configError({ env: { CORRAL_STATSD_FLUSH_INTERVL: '1s' } });
    expect(err.key).toBe('CORRAL_STATSD_FLUSH_INTERVL');
    expect(err.message).toBe(
      'unknown environment variable CORRAL_STATSD_FLUSH_INTERVL (did you mean CORRAL_STATSD_FLUSH_INTERVAL?)',
    );
    expect(configError({ env: { CORRAL_WHATEVER: '1' } }).message).toBe(
      'unknown environment variable CORRAL_WHATEVER',
    );
  });

  it('names the key, the expectation, the value and the flag', () => {
    const err = configError({ flags: { 'statsd.flushInterval': 'abc' } });
    expect(err.key).toBe('statsd.flushInterval');
    expect(err.message).toBe(
      'statsd.flushInterval: expected a duration like 10s, 500ms or 1m, got "abc" (from --statsd-flush-interval)',
    );
  });

  it('holds a duration within its bounds (collector.sessionTimeout: what Kafka brokers accept)', () => {
    const collector = (value: string) => ({
      command: 'collector' as const,
      flags: { 'collector.sessionTimeout': value },
    });
    expect(load(collector('45s')).collector.sessionTimeout).toBe(45_000);
    expect(configError(collector('5s')).message).toBe(
      'collector.sessionTimeout: expected a duration of at least 6s, got "5s" (from --collector-session-timeout)',
    );
    expect(configError(collector('31m')).message).toBe(
      'collector.sessionTimeout: expected a duration of at most 30m, got "31m" (from --collector-session-timeout)',
    );
  });

  it('names the environment variable a bad value came from', () => {
    expect(configError({ env: { CORRAL_STATSD_MAX_SERIES: '12abc' } }).message).toBe(
      'statsd.maxSeries: expected an integer >= 1, got "12abc" (from CORRAL_STATSD_MAX_SERIES)',
    );
    expect(configError({ env: { CORRAL_STATSD_TCP_MAX_CONNECTIONS: '' } }).message).toBe(
      'statsd.tcpMaxConnections: expected an integer >= 1, got "" (from CORRAL_STATSD_TCP_MAX_CONNECTIONS)',
    );
  });

  it('names the file a bad value came from', () => {
    const name = file('bad-value.yaml', 'statsd:\n  udp: 8125\n');
    expect(configError({ flags: { config: name } }).message).toBe(
      'statsd.udp: expected HOST:PORT (IPv4, hostname or [IPv6], port 0-65535) or "off", got 8125 (from bad-value.yaml)',
    );
    const list = file('bad-list.json', '{"statsd": {"percentiles": [50, 101]}}');
    expect(configError({ flags: { config: list } }).message).toMatch(
      /^statsd\.percentiles: expected .* each > 0 and <= 100, got \[50,101\] \(from bad-list\.json\)$/,
    );
  });

  it('names a missing config file', () => {
    const err = configError({ flags: { config: 'missing.yaml' } });
    expect(err.key).toBe('config');
    expect(err.message).toBe('cannot read config file missing.yaml: no such file');
  });

  it('names the line of a YAML syntax error', () => {
    const name = file('broken.yaml', 'statsd:\n  flushInterval: 10s\n bad: 1\n');
    expect(configError({ flags: { config: name } }).message).toBe(
      'cannot parse config file broken.yaml at line 3, column 1: All mapping items must start at the same column',
    );
  });

  it('rejects duplicate YAML keys', () => {
    const name = file('dup.yaml', 'statsd:\n  maxSeries: 1\n  maxSeries: 2\n');
    expect(configError({ flags: { config: name } }).message).toMatch(
      /^cannot parse config file dup\.yaml at line 3/,
    );
  });

  it('names the line of a JSON syntax error', () => {
    const name = file('broken.json', '{\n  "statsd": {\n    "maxSeries": 1,\n  }\n}\n');
    expect(configError({ flags: { config: name } }).message).toMatch(
      /^cannot parse config file broken\.json at line 4, column 3: /,
    );
  });

  it('rejects config files of other types', () => {
    expect(configError({ flags: { config: file('conf.toml', '') } }).message).toBe(
      'config file conf.toml must end in .yaml, .yml or .json',
    );
  });

  it('rejects a flag for a section the subcommand does not use', () => {
    expect(configError({ command: 'collector', flags: { 'statsd.maxSeries': '1' } }).message).toBe(
      'statsd.maxSeries cannot be set by a flag of corral collector',
    );
  });

  it('keeps messages on one line', () => {
    const name = file('long.json', JSON.stringify({ statsd: { udp: 'x'.repeat(500) } }));
    const message = configError({ flags: { config: name } }).message;
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
  });
});
