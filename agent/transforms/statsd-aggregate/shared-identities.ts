import { tagsFromKey } from '../../sources/statsd/identity.js';

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/** Entries a table keeps before it starts over. */
const DEFAULT_MAX_ENTRIES = 65_536;

/**
 * One copy of each series name, and one frozen tags object per tag set, for every series that
 * has them. Series far outnumber both: an app sends many metrics with the same tags, and one
 * metric with many tag sets. With a copy of each per series, the name, the tag text and the
 * tags object (its values too) were about 200 of the 450 bytes a series of the end-to-end
 * benchmark held. A table that passes maxEntries starts over, so names and tag sets that come
 * and go cannot grow it; series keep what they were given.
 */
export class SharedIdentities {
  private names = new Map<string, string>();
  private tagSets = new Map<string, Readonly<Record<string, string>>>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** The shared copy of a series name. */
  name(name: string): string {
    const shared = this.names.get(name);
    if (shared !== undefined) return shared;
    if (this.names.size >= this.maxEntries) this.names = new Map();
    this.names.set(name, name);
    return name;
  }

  /** The tags of a canonical tag text (SeriesIdentity.tagsKey), frozen and shared. */
  tags(tagsKey: string): Readonly<Record<string, string>> {
    if (tagsKey === '') return NO_TAGS;
    const shared = this.tagSets.get(tagsKey);
    if (shared !== undefined) return shared;
    if (this.tagSets.size >= this.maxEntries) this.tagSets = new Map();
    const tags = Object.freeze(tagsFromKey(tagsKey));
    this.tagSets.set(tagsKey, tags);
    return tags;
  }

  /** Entries held, for tests. */
  get sizes(): { names: number; tagSets: number } {
    return { names: this.names.size, tagSets: this.tagSets.size };
  }
}
