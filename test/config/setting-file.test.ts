import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../lib/config/errors.js';
import { readSecretFile, readSettingFile } from '../../lib/config/setting-file.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-setting-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files named by settings', () => {
  test('a secret without its final line break, a file as it is; nothing without a file', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 's3cret with spaces \n');
    expect(readSecretFile('collector.clickhousePasswordFile', file)).toBe('s3cret with spaces ');
    expect(readSettingFile('kafka.tlsCaFile', file)).toBe('s3cret with spaces \n');
    expect(readSecretFile('collector.clickhousePasswordFile', '')).toBeUndefined();
  });

  test('an unreadable file is a configuration error naming the key', () => {
    const missing = join(dir, 'missing');
    let error: unknown;
    try {
      readSecretFile('collector.clickhousePasswordFile', missing);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('collector.clickhousePasswordFile');
    expect((error as ConfigError).message).toBe(
      `collector.clickhousePasswordFile: cannot read ${missing} (ENOENT)`,
    );
  });
});
