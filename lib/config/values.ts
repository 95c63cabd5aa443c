/**
 * Value types for settings. Each accepts the text form (environment variables and flags are always
 * strings) as well as the native YAML/JSON form, and fails with an "expected ..." message that
 * load.ts turns into a one-line error naming the key, the value and where it came from.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseHostPort } from './host-port.js';
import { parseInteger, parseList, parseNumber } from './number.js';
import { parseSize } from './size.js';

/** How a setting's value is parsed, plus how --help and the reference table name it. */
export interface ValueType<T> {
  schema: z.ZodType<T, unknown>;
  /** Flag placeholder: --statsd-flush-interval <duration>. */
  placeholder: string;
  /** Appended to the description, e.g. the allowed values. */
  hint?: string;
}

/** Wraps a throwing parser so its message becomes the zod issue message. */
function fromParser<T>(parse: (input: unknown) => T): z.ZodType<T, unknown> {
  return z.unknown().transform((input, ctx) => {
    try {
      return parse(input);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input });
      return z.NEVER;
    }
  });
}

export function duration(bounds: { min: string; max?: string }): ValueType<number> {
  const min = parseDuration(bounds.min);
  const max = bounds.max === undefined ? Number.POSITIVE_INFINITY : parseDuration(bounds.max);
  return {
    placeholder: 'duration',
    schema: fromParser((input) => {
      const ms = parseDuration(input);
      if (ms < min) throw new Error(`expected a duration of at least ${bounds.min}`);
      if (ms > max) throw new Error(`expected a duration of at most ${bounds.max}`);
      return ms;
    }),
  };
}

export function size(bounds: { min: number; max: number | string }): ValueType<number> {
  const max = parseSize(bounds.max);
  return {
    placeholder: 'size',
    schema: fromParser((input) => {
      const bytes = parseSize(input);
      if (bytes < bounds.min || bytes > max) {
        throw new Error(`expected a size from ${bounds.min} to ${bounds.max} bytes`);
      }
      return bytes;
    }),
  };
}

export function int(bounds: { min: number }): ValueType<number> {
  const expected = `expected an integer >= ${bounds.min}`;
  return {
    placeholder: 'n',
    schema: fromParser((input) => {
      const value = parseInteger(input, expected);
      if (value < bounds.min) throw new Error(expected);
      return value;
    }),
  };
}

export function hostPort(): ValueType<ReturnType<typeof parseHostPort>> {
  return { placeholder: 'host:port|off', schema: fromParser(parseHostPort) };
}

export function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  const expected = `expected one of: ${values.join(', ')}`;
  const joined = values.join('|');
  return {
    placeholder: joined.length <= 20 ? joined : 'value',
    hint: `One of: ${values.join(', ')}.`,
    schema: fromParser((input) => {
      if (!values.includes(input as V)) throw new Error(expected);
      return input as V;
    }),
  };
}

/** A non-empty set of choices; duplicates are dropped, order is kept. */
export function listOf<const V extends string>(values: readonly V[]): ValueType<V[]> {
  const expected = `expected a non-empty comma-separated list of: ${values.join(', ')}`;
  return {
    placeholder: 'list',
    hint: `Comma-separated, any of: ${values.join(', ')}.`,
    schema: fromParser((input) => {
      const items = parseList(input, expected);
      if (items.length === 0 || !items.every((item) => values.includes(item as V))) throw new Error(expected);
      return [...new Set(items as V[])];
    }),
  };
}

/** A filesystem path; "" where the setting allows it (meaning: find it out). */
export function path(options: { allowEmpty: boolean }): ValueType<string> {
  const expected = options.allowEmpty ? 'expected a path, or "" to detect it' : 'expected a path';
  return {
    placeholder: 'path',
    schema: fromParser((input) => {
      if (typeof input !== 'string' || (!options.allowEmpty && input === '')) throw new Error(expected);
      return input;
    }),
  };
}

/**
 * Extra container patterns, each "runtime:regex" with a named group id (optional pod,
 * parent). Text (env, flag): one per line, or a JSON array. Checked by validate.
 */
export function patternList<T>(validate: (items: { runtime: string; regex: string }[]) => T): ValueType<T> {
  const expected =
    'expected patterns "runtime:regex" (one per line, or a JSON array), each regex with a named group id';
  return {
    placeholder: 'patterns',
    schema: fromParser((input) => {
      let items: unknown = input;
      if (typeof input === 'string') {
        const text = input.trim();
        items = text.startsWith('[')
          ? JSON.parse(text)
          : text.split('\n').filter((line) => line.trim() !== '');
      }
      if (
        !Array.isArray(items) ||
        !items.every((item) => typeof item === 'string' && item.indexOf(':') > 0)
      ) {
        throw new Error(expected);
      }
      const configs = (items as string[]).map((item) => {
        const colon = item.indexOf(':');
        return { runtime: item.slice(0, colon).trim(), regex: item.slice(colon + 1).trim() };
      });
      return validate(configs);
    }),
  };
}

/** Percentiles 0 < p <= 100, sorted and deduplicated so outputs are stable. */
export function percentiles(): ValueType<number[]> {
  const expected = 'expected a non-empty comma-separated list of percentiles, each > 0 and <= 100';
  return {
    placeholder: 'list',
    hint: 'Comma-separated.',
    schema: fromParser((input) => {
      const items = parseList(input, expected).map((item) => parseNumber(item, expected));
      if (items.length === 0 || !items.every((p) => p > 0 && p <= 100)) throw new Error(expected);
      return [...new Set(items)].sort((a, b) => a - b);
    }),
  };
}

/** Free text (a URL, a user name, an id); "" where the setting allows it (meaning: none). */
export function text(options: {
  allowEmpty: boolean;
  placeholder?: string;
  pattern?: RegExp;
  expected?: string;
}): ValueType<string> {
  const expected =
    options.expected ?? (options.allowEmpty ? 'expected text, or "" for none' : 'expected non-empty text');
  return {
    placeholder: options.placeholder ?? 'text',
    schema: fromParser((input) => {
      if (typeof input !== 'string' || (!options.allowEmpty && input === '')) throw new Error(expected);
      if (input !== '' && options.pattern !== undefined && !options.pattern.test(input))
        throw new Error(expected);
      return input;
    }),
  };
}

/** Glob patterns ("team", "app.*"): comma-separated text, or a YAML/JSON list of strings. */
export function globList(): ValueType<string[]> {
  const expected = 'expected glob patterns, comma-separated or a list';
  return {
    placeholder: 'globs',
    schema: fromParser((input) => {
      const items =
        typeof input === 'string'
          ? input
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '')
          : input;
      if (!Array.isArray(items) || !items.every((item) => typeof item === 'string' && item !== '')) {
        throw new Error(expected);
      }
      return items as string[];
    }),
  };
}

/** A value with its own text parser (which throws "expected ..."); strings only. */
export function parsedText<T>(parse: (text: string) => T, placeholder: string): ValueType<T> {
  return {
    placeholder,
    schema: fromParser((input) => {
      if (typeof input !== 'string') return parse(String(input));
      return parse(input);
    }),
  };
}
