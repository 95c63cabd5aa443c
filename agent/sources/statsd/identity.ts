import { Reject, type RejectCode } from './reject-reason.js';

/**
 * Canonical identity of a StatsD series: the sanitized name and the sorted tags. Runs
 * only when a raw name or raw tag text is seen for the first time; the aggregator caches
 * the result under the raw text.
 */

function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45
  );
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 13 || c === 0xa0;
}

/** Whitespace becomes "_", "/" becomes "-", anything else outside [A-Za-z0-9_.-] is dropped. */
export function sanitizeName(raw: string): string {
  let i = 0;
  while (i < raw.length && isNameChar(raw.charCodeAt(i))) i++;
  if (i === raw.length) return raw;
  let out = raw.slice(0, i);
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (isNameChar(c)) out += raw[i];
    else if (isWhitespace(c)) out += '_';
    else if (c === 47 /* / */) out += '-';
  }
  return out;
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 32) return true;
  return false;
}

/**
 * Adds "key<separator>value" entries, comma separated, to into. Splits each on the first
 * separator so values keep theirs; empty entries are skipped. A bare key (no separator)
 * gets "" when bareAllowed, else the section is malformed; an empty key always is.
 */
function addTags(
  text: string,
  separator: string,
  bareAllowed: boolean,
  into: Map<string, string>,
): RejectCode {
  if (hasControlChar(text)) return Reject.MalformedTags;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const split = text.indexOf(separator, start);
      if (split === start) return Reject.MalformedTags;
      if (split !== -1 && split < end) into.set(text.slice(start, split), text.slice(split + 1, end));
      else if (bareAllowed) into.set(text.slice(start, end), '');
      else return Reject.MalformedTags;
    }
    start = end + 1;
  }
  return Reject.None;
}

/** DogStatsD tags "k:v,k2,k3:v:with:colons": a bare tag has value "". */
function addDogTags(text: string, into: Map<string, string>): RejectCode {
  return addTags(text, ':', true, into);
}

/** Influx-style tags "k=v,k2=v2" (from "name,k=v,k2=v2"): always key=value. */
function addInfluxTags(text: string, into: Map<string, string>): RejectCode {
  return addTags(text, '=', false, into);
}

/** The tag that names a line's container; it is never a series tag. */
export const CONTAINER_TAG = 'container_id';

export interface SeriesIdentity {
  name: string;
  /**
   * Canonical tag text "k:v,k2:v2", sorted by key, one entry per key ("" for none). Keys
   * hold no ":" or ",", values no ",", so it is also how a series keeps its tags: one
   * string instead of an array of them.
   */
  tagsKey: string;
  /** The value of the line's container_id tag (the last, DogStatsD over Influx); "" for none. */
  containerId: string;
}

/**
 * Resolves a raw name (possibly Influx-style "name,k=v") and raw DogStatsD tag text to the
 * canonical identity; DogStatsD tags win over Influx tags of the same key. A container_id
 * tag is taken out of the tags and returned as containerId; an empty one is bad_container.
 */
export function resolveIdentity(rawName: string, rawTags: string): SeriesIdentity | RejectCode {
  const comma = rawName.indexOf(',');
  const name = sanitizeName(comma === -1 ? rawName : rawName.slice(0, comma));
  if (name === '') return Reject.EmptyName;
  if (comma === -1 && rawTags === '') return { name, tagsKey: '', containerId: '' };
  const map = new Map<string, string>();
  if (comma !== -1) {
    const reason = addInfluxTags(rawName.slice(comma + 1), map);
    if (reason !== Reject.None) return reason;
  }
  const reason = addDogTags(rawTags, map);
  if (reason !== Reject.None) return reason;
  const containerId = map.get(CONTAINER_TAG) ?? '';
  if (map.has(CONTAINER_TAG)) {
    if (containerId === '') return Reject.BadContainer;
    map.delete(CONTAINER_TAG);
  }
  return { name, tagsKey: canonicalTags(map), containerId };
}

function canonicalTags(map: Map<string, string>): string {
  let tagsKey = '';
  for (const key of [...map.keys()].sort()) tagsKey += `${tagsKey === '' ? '' : ','}${key}:${map.get(key)}`;
  return tagsKey;
}

/** The tags of a canonical tag text, as an object (at flush, for the datapoint). */
export function tagsFromKey(tagsKey: string): Record<string, string> {
  const tags: Record<string, string> = {};
  let start = 0;
  while (start < tagsKey.length) {
    let end = tagsKey.indexOf(',', start);
    if (end === -1) end = tagsKey.length;
    const colon = tagsKey.indexOf(':', start);
    tags[tagsKey.slice(start, colon)] = tagsKey.slice(colon + 1, end);
    start = end + 1;
  }
  return tags;
}
