/** The built CLI as a user runs it (`npm test` builds dist/ first). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingsFor } from '../../lib/config/keys.js';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'corral.js');
const dir = mkdtempSync(join(tmpdir(), 'corral-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs corral without any inherited CORRAL_* variables. */
function corral(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CORRAL_')),
  );
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('corral usage errors: one line on stderr, exit 2', () => {
  it('a bad flag value names the key, expectation, value and flag', () => {
    const run = corral(['agent', '--statsd-flush-interval', 'abc']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'corral: config error: statsd.flushInterval: expected a duration like 10s, 500ms or 1m, got "abc" (from --statsd-flush-interval)\n',
    );
  });

  it.each(['agent', 'collector'])('%s: an unreadable HTTP token file, before anything starts', (command) => {
    const missing = join(dir, 'no-token');
    const run = corral([command, `--${command}-http-token-file`, missing, '--log-level', 'silent']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `corral: config error: ${command}.httpTokenFile: cannot read ${missing} (ENOENT)\n`,
    );
  });

  it('an unknown flag, with a suggestion', () => {
    const run = corral(['agent', '--statsd-flush-intervl', '10s']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "corral: error: unknown option '--statsd-flush-intervl' (Did you mean --statsd-flush-interval?)\n",
    );
  });

  it('a flag of another subcommand', () => {
    const run = corral(['collector', '--statsd-udp', 'off']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("corral: error: unknown option '--statsd-udp'\n");
  });

  it('an unknown key in the config file', () => {
    writeFileSync(join(dir, 'typo.yaml'), 'statsd:\n  flushIntervl: 10s\n');
    const run = corral(['agent', '--config', 'typo.yaml']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'corral: config error: unknown key statsd.flushIntervl in typo.yaml (did you mean statsd.flushInterval?)\n',
    );
  });

  it('an unknown key in the file named by CORRAL_CONFIG', () => {
    writeFileSync(join(dir, 'typo.json'), '{"log": {"levle": "info"}}');
    const run = corral(['collector'], { CORRAL_CONFIG: 'typo.json' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'corral: config error: unknown key log.levle in typo.json (did you mean log.level?)\n',
    );
  });

  it('an unknown CORRAL_ environment variable', () => {
    const run = corral(['agent'], { CORRAL_STATSD_UPD: 'off' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'corral: config error: unknown environment variable CORRAL_STATSD_UPD (did you mean CORRAL_STATSD_UDP?)\n',
    );
  });

  it('an unknown command, a missing command and extra arguments', () => {
    expect(corral(['agnet'])).toMatchObject({
      status: 2,
      stderr: "corral: error: unknown command 'agnet' (Did you mean agent?)\n",
    });
    expect(corral([])).toMatchObject({
      status: 2,
      stderr: 'corral: error: missing command: agent, collector or start (see corral --help)\n',
    });
    const extra = corral(['agent', 'extra']);
    expect(extra.status).toBe(2);
    expect(extra.stderr).toMatch(/^corral: error: too many arguments for 'agent'\..*\n$/);
  });
});

describe('corral help: exit 0, on stdout', () => {
  it('corral --help lists the subcommands', () => {
    const run = corral(['--help']);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage: corral /);
    for (const command of ['agent', 'collector', 'start', 'query'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each(['agent', 'collector', 'start', 'query'] as const)(
    'corral %s --help lists its generated options',
    (command) => {
      const run = corral([command, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: corral ${command} `));
      expect(run.stdout).toContain('--config <file>');
      for (const setting of settingsFor(command)) {
        expect(run.stdout).toContain(`${setting.flag} <${setting.placeholder}>`);
        expect(run.stdout).toContain(setting.env);
      }
    },
  );

  it('agent --help groups StatsD options and shows defaults', () => {
    const run = corral(['agent', '--help']);
    expect(run.stdout).toContain('StatsD options:');
    expect(run.stdout).toMatch(
      /--statsd-flush-interval <duration> +How often .*\(default: 10s; env: CORRAL_STATSD_FLUSH_INTERVAL\)/,
    );
  });

  it('collector --help has no agent or StatsD options', () => {
    const run = corral(['collector', '--help']);
    expect(run.stdout).not.toContain('--statsd-');
    expect(run.stdout).not.toContain('--sources');
  });

  it('corral --version prints the package version', () => {
    const run = corral(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('corral collector', () => {
  it('validates its configuration before starting', () => {
    const run = corral(['collector', '--collector-batch-rows', '0']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^corral: config error: collector\.batchRows: .*\(from --collector-batch-rows\)\n$/,
    );
  });
});
