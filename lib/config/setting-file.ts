/** Files a setting names (secrets, certificates), read once at start. */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** The file's content, or undefined when the setting is empty; unreadable is a config error naming `key`. */
export function readSettingFile(key: string, path: string): string | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      key,
      `${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** A secret's file without its final line break (editors add one). */
export function readSecretFile(key: string, path: string): string | undefined {
  return readSettingFile(key, path)?.replace(/\r?\n$/, '');
}
