/**
 * Builds the configuration from defaults < config file < environment < flags, remembering where
 * each value came from so an error can say "(from --statsd-flush-interval)".
 */
import { resolve } from 'node:path';
import { ConfigError, showValue } from './errors.js';
import { readConfigFile } from './file.js';
import { CONFIG_ENV, ENV_PREFIX, type Setting, sectionNames, settings, settingsFor } from './keys.js';
import { type Command, type ConfigKey, type CorralConfig, configSchema } from './schema.js';
import { didYouMean } from './suggest.js';

export { ConfigError } from './errors.js';

/** Flag values as typed, by setting key, plus the --config file path. */
export type ConfigFlags = { config?: string | undefined } & Partial<Record<ConfigKey, string | undefined>>;

export interface LoadConfigOptions {
  command: Command;
  flags?: ConfigFlags;
  env?: Readonly<Record<string, string | undefined>>;
  /** Relative config file paths resolve against it. */
  cwd?: string;
}

const byKey = new Map(settings.map((s) => [s.key as string, s]));
const byEnv = new Map(settings.map((s) => [s.env, s]));
const knownSections = new Set<string>(sectionNames);

type Layer = (setting: Setting, value: unknown, source: string) => void;

/** Returns the validated configuration or throws a ConfigError with a one-line message. */
export function loadConfig({
  command,
  flags = {},
  env = {},
  cwd = process.cwd(),
}: LoadConfigOptions): CorralConfig {
  const raw: Record<string, Record<string, unknown>> = {};
  const sources = new Map<string, string>();
  const put: Layer = (setting, value, source) => {
    raw[setting.section] ??= {};
    raw[setting.section]![setting.name] = value;
    sources.set(setting.key, source);
  };

  const file = flags.config ?? env[CONFIG_ENV];
  if (file !== undefined) fileLayer(readConfigFile(resolve(cwd, file), file), file, put);
  envLayer(env, put);
  flagLayer(command, flags, put);

  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.join('.');
  const setting = byKey.get(key);
  const source = sources.get(key) ?? 'default';
  const value = setting && !sources.has(key) ? setting.defaultText : lookup(raw, issue.path);
  throw new ConfigError(key, `${key}: ${issue.message}, got ${showValue(value)} (from ${source})`);
}

function fileLayer(data: unknown, file: string, put: Layer): void {
  // An empty YAML file parses to null: no settings.
  if (data === null || data === undefined) return;
  if (!isMapping(data)) {
    throw new ConfigError(
      'config',
      `config file ${file} must hold a mapping of sections, got ${showValue(data)}`,
    );
  }
  for (const [section, body] of Object.entries(data)) {
    if (!knownSections.has(section)) {
      throw new ConfigError(section, `unknown key ${section} in ${file}${didYouMean(section, sectionNames)}`);
    }
    // "collector:" with nothing under it is an empty section.
    if (body === null) continue;
    if (!isMapping(body)) {
      throw new ConfigError(
        section,
        `${section}: expected a mapping of settings, got ${showValue(body)} (from ${file})`,
      );
    }
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${name}`;
      const setting = byKey.get(key);
      if (!setting)
        throw new ConfigError(key, `unknown key ${key} in ${file}${didYouMean(key, byKey.keys())}`);
      put(setting, value, file);
    }
  }
}

/** CORRAL_* variables that are no setting: test hooks, read by the code they belong to. */
const TEST_HOOK_ENV = new Set([
  // collector/fault-hook.ts: the collector kills itself between an insert and its commit.
  'CORRAL_COLLECTOR_CRASH_AFTER',
]);

function envLayer(env: Readonly<Record<string, string | undefined>>, put: Layer): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_ENV || TEST_HOOK_ENV.has(name) || value === undefined)
      continue;
    const setting = byEnv.get(name);
    // A typo in a variable name must not silently fall back to the default.
    if (!setting) {
      throw new ConfigError(name, `unknown environment variable ${name}${didYouMean(name, byEnv.keys())}`);
    }
    put(setting, value, name);
  }
}

function flagLayer(command: Command, flags: ConfigFlags, put: Layer): void {
  const allowed = new Set(settingsFor(command).map((s) => s.key as string));
  for (const [key, value] of Object.entries(flags)) {
    if (key === 'config' || value === undefined) continue;
    const setting = byKey.get(key);
    if (!setting || !allowed.has(key))
      throw new ConfigError(key, `${key} cannot be set by a flag of corral ${command}`);
    put(setting, value, setting.flag);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookup(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const part of path) current = isMapping(current) ? current[part as string] : undefined;
  return current;
}
