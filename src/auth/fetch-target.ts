import ipaddr from 'ipaddr.js';

/**
 * A host name as the hub compares it: lower case, without IPv6 brackets and without trailing
 * dots (`localhost.` is `localhost`; DNS treats a trailing dot as the root, so both name the same
 * host). Numeric IPv4 forms (`2130706433`, `0x7f.1`, `017700000001`) need no work here: the WHATWG
 * URL parser already rewrites them to dotted decimal (`127.0.0.1`).
 */
export function normaliseHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // A scan, not /\.+$/: that regex retries from every dot of a long run (quadratic).
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--;
  return host.slice(0, end);
}

/**
 * The IPv4 address an IPv6 address carries, when it is one of the forms that reach an IPv4
 * host: IPv4-mapped (`::ffff:127.0.0.1`) and the deprecated IPv4-compatible (`::127.0.0.1`,
 * which URL parsing writes as `::7f00:1`). ipaddr.js classifies the mapped form only.
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  // ::/96 (:: and ::1 included: they become 0.0.0.0 and 0.0.0.1, refused as "unspecified").
  if (address.parts.slice(0, 6).every((p) => p === 0)) return ipaddr.fromByteArray(address.toByteArray().slice(12)) as ipaddr.IPv4;
  return null;
}

/**
 * Whether an IP address (v4 or v6 text) is one the hub may fetch from when private hosts are not
 * allowed: ordinary public unicast only. Loopback, private, link-local, unique-local, carrier-grade
 * NAT, multicast, reserved, and IPv6 forms that embed or translate to IPv4 (mapped, compatible,
 * NAT64, 6to4, Teredo) are refused. Text that is not an IP address is not public.
 */
export function isPublicAddress(text: string): boolean {
  const host = normaliseHost(text);
  if (!ipaddr.isValid(host)) return false;
  let address = ipaddr.parse(host);
  if (address.kind() === 'ipv6') {
    const v4 = embeddedIpv4(address as ipaddr.IPv6);
    if (v4) address = v4;
  }
  return address.range() === 'unicast';
}

/** Whether a host name names this machine by name (`localhost`, `*.localhost`), after normalising. */
export function isLocalhostName(hostname: string): boolean {
  const host = normaliseHost(hostname);
  return host === 'localhost' || host.endsWith('.localhost');
}

/** Whether a (normalised) host is an IP literal rather than a name. */
export function isIpLiteral(hostname: string): boolean {
  return ipaddr.isValid(normaliseHost(hostname));
}
