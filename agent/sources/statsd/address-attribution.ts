import { canonicalIp } from '../../../lib/net/canonical-ip.js';

/**
 * Maps a sender's IP address to the id of the container it belongs to; undefined when the
 * address is not a container's. Addresses are passed in canonical form (see canonicalIp).
 */
export { canonicalIp } from '../../../lib/net/canonical-ip.js';

export type ContainerForAddress = (ip: string) => string | undefined;

export interface AddressAttributionOptions {
  /** Longest an answer is reused before the resolver is asked again; default 1000 ms. */
  ttlMs?: number;
  /**
   * A number that changes whenever the resolver's address map changes (a registry's version).
   * When given, cached answers are dropped as soon as it changes, so a container that starts
   * or stops is seen on the next datagram rather than after the TTL.
   */
  generation?: () => number;
  /** Addresses remembered at most per TTL window; beyond it, new ones are asked every time. */
  maxAddresses?: number;
}

const DEFAULT_TTL_MS = 1000;
const DEFAULT_MAX_ADDRESSES = 4096;
/** Direct-mapped slots in front of the IPv4 Map (a power of two). */
const IPV4_SLOTS = 256;

/** Dotted quad of an IPv4 address held as an unsigned host-order integer. */
export function formatIPv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/**
 * Which container sent a datagram, by its source address, resolved once per address and
 * window instead of once per datagram or line. IPv4 from the native receiver (a number) hits
 * a direct-mapped table of 256 slots: a multiply, two loads and a compare, no Map probe even
 * when many senders interleave (addresses above 2^30 would be boxed as Map keys). Behind it,
 * and for text addresses (node:dgram and TCP hand us text anyway), a Map, with the previous
 * sender checked first. The resolver runs on a miss of both only.
 *
 * Cached answers live until the next tick of a ttlMs timer (so at most ttlMs, and each
 * address is asked at most once per tick), or until the resolver's generation changes.
 * The cache holds at most maxAddresses addresses per window: a flood of spoofed senders
 * costs resolver calls, never memory.
 */
export class AddressAttribution {
  /** Times the resolver was asked: what the cache saves is datagrams minus this. */
  resolverCalls = 0;
  private readonly byIPv4 = new Map<number, string>();
  /** Address text from node:dgram and TCP. */
  private readonly byText = new Map<string, string>();
  /** IPv6 from the native receiver, keyed by its 16 bytes packed two per char. */
  private readonly byIPv6 = new Map<string, string>();
  /** The direct-mapped IPv4 slots: address, container, and whether the slot is filled. */
  private readonly slotAddress = new Uint32Array(IPV4_SLOTS);
  private readonly slotContainer: string[] = new Array<string>(IPV4_SLOTS).fill('');
  private readonly slotFilled = new Uint8Array(IPV4_SLOTS);
  private lastText: string | null = null;
  private lastTextContainer = '';
  private readonly lastIPv6 = new Uint32Array(4);
  private lastIPv6Valid = false;
  private lastIPv6Container = '';
  private seenGeneration: number;
  private readonly ttlMs: number;
  private readonly maxAddresses: number;
  private readonly generation: (() => number) | undefined;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly resolve: ContainerForAddress,
    options: AddressAttributionOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
    this.generation = options.generation;
    this.seenGeneration = this.generation?.() ?? 0;
  }

  /** Starts expiring answers every ttlMs (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.forget(), this.ttlMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Drops every cached answer: the next datagram of each sender asks the resolver again. */
  forget(): void {
    this.byIPv4.clear();
    this.byText.clear();
    this.byIPv6.clear();
    this.slotFilled.fill(0);
    this.lastText = null;
    this.lastIPv6Valid = false;
  }

  /**
   * Drops the cache when the resolver's generation moved. Receivers call it once per batch
   * of datagrams (or per datagram or read when they get one at a time).
   */
  refresh(): void {
    if (this.generation === undefined) return;
    const generation = this.generation();
    if (generation !== this.seenGeneration) {
      this.seenGeneration = generation;
      this.forget();
    }
  }

  /** The container of an IPv4 sender given as an unsigned host-order integer; "" for none. */
  forIPv4(address: number): string {
    const slot = Math.imul(address, 0x9e3779b1) >>> 24; // Fibonacci hashing: the top 8 bits
    if (this.slotFilled[slot] === 1 && this.slotAddress[slot] === address) return this.slotContainer[slot]!;
    let container = this.byIPv4.get(address);
    if (container === undefined) {
      container = this.ask(formatIPv4(address));
      if (this.byIPv4.size < this.maxAddresses) this.byIPv4.set(address, container);
    }
    this.slotAddress[slot] = address;
    this.slotContainer[slot] = container;
    this.slotFilled[slot] = 1;
    return container;
  }

  /**
   * The container of an IPv6 sender given as the native receiver's four words at
   * words[offset..offset + 4) (the 16 address bytes in network order); "" for none.
   */
  forIPv6(words: Uint32Array, offset: number): string {
    const last = this.lastIPv6;
    if (
      this.lastIPv6Valid &&
      words[offset] === last[0] &&
      words[offset + 1] === last[1] &&
      words[offset + 2] === last[2] &&
      words[offset + 3] === last[3]
    ) {
      return this.lastIPv6Container;
    }
    const bytes = new Uint8Array(words.buffer, words.byteOffset + offset * 4, 16);
    // A short key without formatting: the 16 bytes, two per char.
    let key = '';
    for (let i = 0; i < 16; i += 2) key += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    let container = this.byIPv6.get(key);
    if (container === undefined) {
      container = this.ask(canonicalIp(formatIPv6(bytes)));
      if (this.byIPv6.size < this.maxAddresses) this.byIPv6.set(key, container);
    }
    last.set(words.subarray(offset, offset + 4));
    this.lastIPv6Valid = true;
    this.lastIPv6Container = container;
    return container;
  }

  /** The container of a sender given as text (node:dgram, TCP); "" for none. */
  forText(ip: string): string {
    if (ip === this.lastText) return this.lastTextContainer;
    let container = this.byText.get(ip);
    if (container === undefined) {
      container = this.ask(canonicalIp(ip));
      if (this.byText.size < this.maxAddresses) this.byText.set(ip, container);
    }
    this.lastText = ip;
    this.lastTextContainer = container;
    return container;
  }

  private ask(ip: string): string {
    this.resolverCalls++;
    return this.resolve(ip) ?? '';
  }
}

/** Full-form IPv6 text of 16 bytes (canonicalIp shortens it). */
function formatIPv6(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < 16; i += 2) {
    text += `${i === 0 ? '' : ':'}${((bytes[i]! << 8) | bytes[i + 1]!).toString(16)}`;
  }
  return text;
}
