/**
 * Values written as ClickHouse's TabSeparated text: strings escaped, maps as literals, times
 * as seconds with milliseconds. Strings that need no escaping (nearly all) are returned as
 * they are after one regex test, which is what keeps row building near a microsecond.
 */

const TSV_SPECIAL = /[\\\t\n\r]/;
const QUOTED_SPECIAL = /[\\'\t\n\r]/;

/** A String field: backslash, tab, line feed and carriage return escaped. */
export function tsvString(value: string): string {
  if (!TSV_SPECIAL.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') out += '\\\\';
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else out += c;
  }
  return out;
}

/**
 * A string inside a Map or Array literal: single-quoted, with the quote escaped too. The
 * literal is the whole field (ClickHouse parses it directly, with no TSV unescaping first),
 * so tab and line feed are escaped here, once.
 */
export function quotedString(value: string): string {
  if (!QUOTED_SPECIAL.test(value)) return `'${value}'`;
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else out += c;
  }
  return `${out}'`;
}

/** A Map(String, String) field; undefined is the empty map. */
export function stringMap(map: Readonly<Record<string, string>> | undefined): string {
  if (map === undefined) return '{}';
  let out = '{';
  for (const key in map) {
    if (out.length > 1) out += ',';
    out += `${quotedString(key)}:${quotedString(map[key]!)}`;
  }
  return `${out}}`;
}

/** A Map(String, Float64) field of finite numbers. */
export function numberMap(map: Readonly<Record<string, number>>): string {
  let out = '';
  for (const key in map) {
    out += out === '' ? '{' : ',';
    out += `${quotedString(key)}:${map[key]}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

/** Milliseconds since the epoch as a DateTime64(3) field: seconds.milliseconds. */
export function tsvTime(ms: number): string {
  const whole = Math.round(ms);
  const seconds = Math.floor(whole / 1000);
  const millis = whole - seconds * 1000;
  return `${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

/** A Nullable field: \N for null. */
export const TSV_NULL = '\\N';
