import net from 'node:net';

const V4_MAPPED = '::ffff:';

/**
 * The canonical text of an IP address, the form the resolver is asked with: dotted quad for
 * IPv4 and IPv4-mapped IPv6 ("::ffff:10.0.0.1" is "10.0.0.1"), RFC 5952 for IPv6 (lower case,
 * longest zero run as "::"). Whoever builds the address map should key it the same way.
 * Text that is not an IP address is returned unchanged.
 */
export function canonicalIp(text: string): string {
  if (net.isIPv4(text)) return text;
  if (!net.isIPv6(text)) return text;
  const lower = text.toLowerCase();
  if (lower.startsWith(V4_MAPPED) && net.isIPv4(lower.slice(V4_MAPPED.length))) {
    return lower.slice(V4_MAPPED.length);
  }
  const canonical = new net.SocketAddress({ address: text, family: 'ipv6' }).address;
  return canonical.startsWith(V4_MAPPED) && net.isIPv4(canonical.slice(V4_MAPPED.length))
    ? canonical.slice(V4_MAPPED.length)
    : canonical;
}
