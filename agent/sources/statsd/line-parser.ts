import { parseNumberBytes } from './parse-number.js';
import { KeyHasher, PRIME_1, PRIME_2, SEED_1, SEED_2 } from './raw-hash.js';
import { Reject, type RejectCode } from './reject-reason.js';

export const Kind = { Counter: 0, Gauge: 1, Timer: 2, Set: 3 } as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];

/** parse() found a blank line: framing, not data. */
export const EMPTY_LINE = -1;

const COLON = 58;
const LF = 10;
const CR = 13;
const PIPE = 124;
const HASH = 35;
const AT = 64;
const COMMA = 44;

/** The DogStatsD tag that names a line's container: "container_id:<id>". */
const CONTAINER_TAG = Buffer.from('container_id', 'latin1');
const CONTAINER_TAG_LENGTH = CONTAINER_TAG.length;

/**
 * One parsed line, as offsets into the packet's bytes plus the decoded numbers. A single
 * instance is reused for every line: the hot path allocates nothing.
 *
 * keyHash hashes the raw identity "name|tags|kind" (the raw key), so the aggregator can
 * find the series without building a string. A "container_id" tag in the (first) tag field
 * is cut out of the raw key: it says which container the line belongs to, which picks the
 * series table, so it must not also be part of the key within that table.
 */
export class StatsdLine {
  bytes: Buffer = Buffer.alloc(0);
  nameStart = 0;
  nameEnd = 0;
  tagsStart = 0;
  tagsEnd = 0;
  /** More than one "#" field: tags are not one contiguous run of bytes. */
  splitTags = false;
  /** 64-bit identity hash of the raw key (two halves). */
  keyHash1 = 0;
  keyHash2 = 0;
  private readonly hasher = new KeyHasher();
  kind: KindCode = Kind.Counter;
  /** "ms" for ms timers; "" where the protocol does not say. */
  unit = '';
  /** Number of values on the line (DogStatsD 1.1 packs several: "name:1:2:3|d"). */
  valueCount = 0;
  /** values[i], with deltas[i] true for a gauge value with a leading sign. */
  readonly values: number[] = [0];
  readonly deltas: boolean[] = [false];
  /** Set lines: where the member is (its bytes are hashed, never decoded). */
  memberStart = 0;
  memberEnd = 0;
  sampleRate = 1;
  /** DogStatsD container field "c:<id>": offsets, empty when absent. */
  containerStart = 0;
  containerEnd = 0;
  /** The last "container_id:<id>" entry of the first tag field: offsets, empty when absent. */
  containerTagStart = 0;
  containerTagEnd = 0;
  /** What is cut from the tags for the raw key: that entry and one comma next to it. */
  tagsCutStart = 0;
  tagsCutEnd = 0;
  /** DogStatsD timestamp "T<unix seconds>", -1 when absent. */
  timestampSec = -1;
  /** Where the line ends: its "\n", or the end of the bytes. */
  end = 0;

  get hasTags(): boolean {
    return this.tagsEnd > this.tagsStart || this.splitTags;
  }

  get hasContainer(): boolean {
    return this.containerEnd > this.containerStart;
  }

  /** A "container_id" tag in the first tag field (split tag fields are resolved whole). */
  get hasContainerTag(): boolean {
    return this.containerTagEnd > this.containerTagStart;
  }

  /** Where the container_id tag's value starts. */
  get containerTagValueStart(): number {
    return this.containerTagStart + CONTAINER_TAG_LENGTH + 1;
  }

  /** The raw name as text (miss path only). */
  rawName(): string {
    return this.bytes.toString('utf8', this.nameStart, this.nameEnd);
  }

  /**
   * The raw DogStatsD tag text (miss path only): the tag field without its container_id
   * entry, or every "#" field joined by "," (all container_id entries kept) when split.
   */
  rawTags(): string {
    if (this.splitTags) return this.collectTagFields();
    return this.tagText('utf8');
  }

  /** The raw key "name|tags|kind" as a latin1 string: the bytes, one char each. */
  rawKey(): string {
    const b = this.bytes;
    return `${b.toString('latin1', this.nameStart, this.nameEnd)}|${this.tagText('latin1')}|${this.kind}`;
  }

  private tagText(encoding: 'utf8' | 'latin1'): string {
    const b = this.bytes;
    if (this.tagsCutEnd === this.tagsCutStart) return b.toString(encoding, this.tagsStart, this.tagsEnd);
    return (
      b.toString(encoding, this.tagsStart, this.tagsCutStart) +
      b.toString(encoding, this.tagsCutEnd, this.tagsEnd)
    );
  }

  container(): string {
    return this.bytes.toString('utf8', this.containerStart, this.containerEnd);
  }

  /** The container_id tag's value. */
  containerTag(): string {
    return this.bytes.toString('utf8', this.containerTagValueStart, this.containerTagEnd);
  }

  private reset(bytes: Buffer): void {
    this.bytes = bytes;
    this.valueCount = 0;
    this.sampleRate = 1;
    this.tagsStart = 0;
    this.tagsEnd = 0;
    this.splitTags = false;
    this.containerStart = 0;
    this.containerEnd = 0;
    this.containerTagStart = 0;
    this.containerTagEnd = 0;
    this.tagsCutStart = 0;
    this.tagsCutEnd = 0;
    this.timestampSec = -1;
    this.unit = '';
  }

  /**
   * Parses the line that starts at b[start] and ends at the next "\n" or at limit, setting
   * this.end to that position. Returns Reject.None and fills this, EMPTY_LINE for a blank
   * line (framing, not data), or the reason the line is rejected. Finding the line's end
   * here, in the scans the parser makes anyway, saves a pass over every line.
   */
  parse(b: Buffer, start: number, limit: number): RejectCode | typeof EMPTY_LINE {
    this.reset(b);
    if (b[start] === 95 /* _ */ && looksLikeEventOrCheck(b, start, limit))
      return this.fail(Reject.Unsupported, start, limit);

    // Name: up to ":" (sanitized once, on a miss). Its bytes are hashed in the same pass
    // (KeyHasher.bytes inlined), so each byte is loaded once.
    let i = start;
    let h1 = SEED_1;
    let h2 = SEED_2;
    let word = 0;
    let shift = 0;
    for (; i < limit; i++) {
      const c = b[i]!;
      if (c === COLON || c === PIPE || c === LF) break;
      word |= c << shift;
      shift += 8;
      if (shift === 32) {
        h1 = Math.imul(h1 ^ word, PRIME_1);
        h2 = Math.imul((h2 << 5) ^ (h2 >>> 27) ^ word, PRIME_2);
        word = 0;
        shift = 0;
      }
    }
    if (shift !== 0) {
      h1 = Math.imul(h1 ^ word, PRIME_1);
      h2 = Math.imul((h2 << 5) ^ (h2 >>> 27) ^ word, PRIME_2);
    }
    if (i === limit || b[i] !== COLON) {
      this.end = i === limit || b[i] === LF ? i : lineEnd(b, i, limit);
      const blank = this.end === start || (this.end === start + 1 && b[start] === CR);
      if (blank) return EMPTY_LINE;
      return Reject.NoValue;
    }
    if (i === start) return this.fail(Reject.EmptyName, i, limit);
    this.nameStart = start;
    this.nameEnd = i;

    // Value(s): up to the first pipe.
    const valueStart = i + 1;
    const pipe = fieldStop(b, valueStart, limit);
    if (pipe === valueStart) return this.fail(Reject.NoValue, pipe, limit);
    if (pipe === limit || b[pipe] === LF) {
      this.end = pipe;
      return Reject.UnknownType;
    }

    // Type and the optional fields after it, in any order, up to the end of the line.
    let fieldEnd = fieldStop(b, pipe + 1, limit);
    let atEnd = fieldEnd === limit || b[fieldEnd] === LF;
    const typeEnd = atEnd && b[fieldEnd - 1] === CR ? fieldEnd - 1 : fieldEnd;
    const typeLength = typeEnd - pipe - 1;
    const t0 = b[pipe + 1];
    if (typeLength === 1) {
      if (t0 === 99 /* c */) this.kind = Kind.Counter;
      else if (t0 === 103 /* g */) this.kind = Kind.Gauge;
      else if (t0 === 104 /* h */ || t0 === 100 /* d */) this.kind = Kind.Timer;
      else if (t0 === 115 /* s */) this.kind = Kind.Set;
      else return this.fail(Reject.UnknownType, fieldEnd, limit);
    } else if (typeLength === 2 && t0 === 109 /* m */ && b[pipe + 2] === 115 /* s */) {
      this.kind = Kind.Timer;
      this.unit = 'ms';
    } else {
      return this.fail(Reject.UnknownType, fieldEnd, limit);
    }

    while (!atEnd) {
      const fieldStart = fieldEnd + 1;
      const firstTags = fieldStart < limit && b[fieldStart] === HASH && this.tagsEnd === this.tagsStart;
      fieldEnd = firstTags ? this.tagFieldStop(b, fieldStart + 1, limit) : fieldStop(b, fieldStart, limit);
      atEnd = fieldEnd === limit || b[fieldEnd] === LF;
      const contentEnd = atEnd && fieldEnd > fieldStart && b[fieldEnd - 1] === CR ? fieldEnd - 1 : fieldEnd;
      if (fieldStart === contentEnd) continue; // trailing or doubled "|": ignored
      if (firstTags) {
        this.tagsStart = fieldStart + 1;
        this.tagsEnd = contentEnd;
        if (this.hasContainerTag && !this.cutContainerTag())
          return this.fail(Reject.BadContainer, fieldEnd, limit);
      } else if (b[fieldStart] === HASH) {
        if (this.tagsEnd > this.tagsStart) this.splitTags = true;
      } else {
        const reason = this.parseField(b, fieldStart, contentEnd);
        if (reason !== Reject.None) return this.fail(reason, fieldEnd, limit);
      }
    }
    this.end = fieldEnd;

    const hasher = this.hasher;
    hasher.h1 = h1;
    hasher.h2 = h2;
    hasher.byte(PIPE);
    const cut = this.tagsCutEnd - this.tagsCutStart;
    if (cut === 0) hasher.bytes(b, this.tagsStart, this.tagsEnd);
    else hasher.bytesAround(b, this.tagsStart, this.tagsEnd, this.tagsCutStart, this.tagsCutEnd);
    hasher.byte(PIPE).byte(48 + this.kind);
    hasher.finish(this.nameEnd - start + this.tagsEnd - this.tagsStart - cut + 3);
    this.keyHash1 = hasher.h1;
    this.keyHash2 = hasher.h2;
    return this.parseValues(b, valueStart, pipe);
  }

  /**
   * fieldStop for the first tag field (from is past its "#"): notes the last entry that is
   * a container_id tag, checking only entries that start with "c".
   */
  private tagFieldStop(b: Buffer, from: number, limit: number): number {
    let entry = from;
    let i = from;
    for (; i < limit; i++) {
      const c = b[i];
      if (c === PIPE || c === LF) break;
      if (c === COMMA) {
        if (b[entry] === 99 /* c */) this.noteContainerTag(b, entry, i);
        entry = i + 1;
      }
    }
    if (entry < i && b[entry] === 99 /* c */) this.noteContainerTag(b, entry, i);
    return i;
  }

  private noteContainerTag(b: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length < CONTAINER_TAG_LENGTH) return;
    if (length > CONTAINER_TAG_LENGTH && b[start + CONTAINER_TAG_LENGTH] !== COLON) return;
    for (let k = 1; k < CONTAINER_TAG_LENGTH; k++) if (b[start + k] !== CONTAINER_TAG[k]) return;
    this.containerTagStart = start;
    this.containerTagEnd = end;
  }

  /**
   * Checks the container_id tag (now that a trailing "\r" is off the field) and marks what to
   * cut from the raw key: the entry and the comma after it, else the one before it. False
   * when its value is empty ("container_id:", or a bare "container_id").
   */
  private cutContainerTag(): boolean {
    if (this.containerTagEnd > this.tagsEnd) this.containerTagEnd = this.tagsEnd;
    if (this.containerTagEnd <= this.containerTagValueStart) return false;
    const b = this.bytes;
    const start = this.containerTagStart;
    const end = this.containerTagEnd;
    if (end < this.tagsEnd && b[end] === COMMA) {
      this.tagsCutStart = start;
      this.tagsCutEnd = end + 1;
    } else if (start > this.tagsStart) {
      this.tagsCutStart = start - 1;
      this.tagsCutEnd = end;
    } else {
      this.tagsCutStart = start;
      this.tagsCutEnd = end;
    }
    return true;
  }

  /** Rejects the line, finding its end from position from. */
  private fail(reason: RejectCode, from: number, limit: number): RejectCode {
    this.end = lineEnd(this.bytes, from, limit);
    return reason;
  }

  private parseField(b: Buffer, start: number, end: number): RejectCode {
    const c = b[start];
    if (c === AT) {
      const rate = parseNumberBytes(b, start + 1, end);
      if (!(rate > 0 && rate <= 1)) return Reject.BadSampleRate;
      this.sampleRate = rate;
    } else if (c === 99 /* c */ && end - start > 1 && b[start + 1] === COLON) {
      if (end - start === 2) return Reject.BadContainer;
      this.containerStart = start + 2;
      this.containerEnd = end;
    } else if (c === 84 /* T */) {
      // Whole seconds after 1970, digits only, before 2286 (10 digits): else a client bug.
      const digits = end - start - 1;
      if (digits < 1 || digits > 10) return Reject.BadTimestamp;
      let ts = 0;
      for (let i = start + 1; i < end; i++) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) return Reject.BadTimestamp;
        ts = ts * 10 + d;
      }
      this.timestampSec = ts;
    }
    // Unknown fields are ignored, as the DogStatsD agent does, so newer clients keep working.
    return Reject.None;
  }

  private parseValues(b: Buffer, start: number, end: number): RejectCode {
    if (this.kind === Kind.Set) {
      this.memberStart = start;
      this.memberEnd = end;
      this.valueCount = 1;
      return Reject.None;
    }
    let n = 0;
    let valueStart = start;
    while (valueStart <= end) {
      let valueEnd = valueStart;
      while (valueEnd < end && b[valueEnd] !== COLON) valueEnd++;
      if (valueEnd === valueStart) return Reject.NoValue;
      const v = parseNumberBytes(b, valueStart, valueEnd);
      if (Number.isNaN(v))
        return isNonFiniteWord(b, valueStart, valueEnd) ? Reject.NonFinite : Reject.NotANumber;
      if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) return Reject.NonFinite;
      const sign = b[valueStart];
      this.values[n] = v;
      this.deltas[n] = sign === 43 /* + */ || sign === 45; /* - */
      n++;
      valueStart = valueEnd + 1;
    }
    this.valueCount = n;
    return Reject.None;
  }

  private collectTagFields(): string {
    const b = this.bytes;
    const parts: string[] = [];
    // Re-scan the fields after the type for every "#" field.
    let i = this.nameEnd;
    while (i < b.length && b[i] !== PIPE) i++;
    let lineEnd = b.indexOf(10, i);
    if (lineEnd === -1) lineEnd = b.length;
    if (b[lineEnd - 1] === 13) lineEnd--;
    let fieldEnd = i + 1;
    while (fieldEnd < lineEnd && b[fieldEnd] !== PIPE) fieldEnd++;
    while (fieldEnd < lineEnd) {
      const fieldStart = fieldEnd + 1;
      fieldEnd = fieldStart;
      while (fieldEnd < lineEnd && b[fieldEnd] !== PIPE) fieldEnd++;
      if (fieldEnd > fieldStart && b[fieldStart] === HASH)
        parts.push(b.toString('utf8', fieldStart + 1, fieldEnd));
    }
    return parts.join(',');
  }
}

/** The position of the next "|" or "\n" at or after from, or limit. */
function fieldStop(b: Buffer, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    const c = b[i];
    if (c === PIPE || c === LF) return i;
  }
  return limit;
}

/** The position of the next "\n" at or after from, or limit. */
function lineEnd(b: Buffer, from: number, limit: number): number {
  const newline = b.indexOf(LF, from);
  return newline === -1 || newline > limit ? limit : newline;
}

function looksLikeEventOrCheck(b: Buffer, start: number, end: number): boolean {
  return (
    end - start >= 3 &&
    b[start] === 95 /* _ */ &&
    ((b[start + 1] === 101 /* e */ && b[start + 2] === 123) /* { */ ||
      (b[start + 1] === 115 /* s */ && b[start + 2] === 99 /* c */ && b[start + 3] === PIPE))
  );
}

const NON_FINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;

function isNonFiniteWord(b: Buffer, start: number, end: number): boolean {
  return end - start <= 9 && NON_FINITE_WORD.test(b.toString('latin1', start, end));
}
