/**
 * Every setting with the names derived from its dotted key, mechanically so they cannot drift:
 * statsd.flushInterval -> --statsd-flush-interval and CORRAL_STATSD_FLUSH_INTERVAL.
 */
import type { z } from 'zod';
import {
  type Command,
  type ConfigKey,
  commandSections,
  type SectionName,
  sections,
  settingMeta,
} from './schema.js';

export interface Setting {
  key: ConfigKey;
  section: SectionName;
  /** The key within its section, e.g. "flushInterval". */
  name: string;
  /** Long flag including dashes, e.g. "--statsd-flush-interval". */
  flag: string;
  env: string;
  /** Default in input form, e.g. "10s" or "50,90,95,99". */
  defaultText: string;
  description: string;
  placeholder: string;
  schema: z.ZodType;
}

/** Environment variable naming the config file; the only CORRAL_* variable that is not a setting. */
export const CONFIG_ENV = 'CORRAL_CONFIG';
export const ENV_PREFIX = 'CORRAL_';

const words = (camel: string) =>
  camel
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ');

function describeSetting(section: SectionName, name: string, schema: z.ZodType): Setting {
  const meta = settingMeta.get(schema);
  if (!meta) throw new Error(`setting ${section}.${name} was not declared with setting()`);
  const parts = [section, ...words(name)];
  return {
    key: `${section}.${name}` as ConfigKey,
    section,
    name,
    flag: `--${meta.flag ?? parts.join('-')}`,
    env: `${ENV_PREFIX}${parts.join('_').toUpperCase()}`,
    defaultText: Array.isArray(meta.default) ? meta.default.join(',') : String(meta.default),
    description: meta.hint ? `${meta.description} ${meta.hint}` : meta.description,
    placeholder: meta.placeholder,
    schema,
  };
}

/** All settings in declaration order. */
export const settings: readonly Setting[] = Object.entries(sections).flatMap(([section, shape]) =>
  Object.entries(shape as Record<string, z.ZodType>).map(([name, schema]) =>
    describeSetting(section as SectionName, name, schema),
  ),
);

export const sectionNames = Object.keys(sections) as SectionName[];

/** The settings a subcommand takes flags for. */
export function settingsFor(command: Command): Setting[] {
  const wanted = commandSections[command];
  return settings.filter((s) => wanted.includes(s.section));
}
