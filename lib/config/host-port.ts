import { isIPv4, isIPv6 } from 'node:net';

/** A listen address; null means the listener is turned off. */
export type HostPort = { host: string; port: number } | null;

const EXPECTED = 'expected HOST:PORT (IPv4, hostname or [IPv6], port 0-65535) or "off"';

// RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens.
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Parses "127.0.0.1:8125", "localhost:0", "[::1]:8125" or "off"; throws with the expectation otherwise. */
export function parseHostPort(input: unknown): HostPort {
  if (input === 'off') return null;
  if (typeof input !== 'string') throw new Error(EXPECTED);
  const colon = input.lastIndexOf(':');
  if (colon < 0) throw new Error(EXPECTED);
  let host = input.slice(0, colon);
  const portText = input.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (!isIPv6(host)) throw new Error(EXPECTED);
  } else if (host.includes(':')) {
    // A bare IPv6 address is ambiguous ("::1:8125"), so brackets are required.
    throw new Error(`${EXPECTED}; put IPv6 addresses in brackets like [::1]:8125`);
  } else if (!isIPv4(host) && !(HOSTNAME.test(host) && !/^[\d.]+$/.test(host))) {
    throw new Error(EXPECTED);
  }
  if (!/^\d{1,5}$/.test(portText)) throw new Error(EXPECTED);
  const port = Number(portText);
  if (port > 65_535) throw new Error(EXPECTED);
  return { host, port };
}
