/**
 * Outbound policy (SPEC section 8): which addresses a multi-tenant proxy may connect to.
 * Pure: IPv4/IPv6 text parsing and the IANA special-purpose ranges, no Node built-ins. The Node
 * proxy applies it to every address DNS returns and to the address each socket actually
 * connected to; the fetch handler applies it to IP-literal targets.
 */

/** Why an address is (not) public. Everything but `public` is refused when the policy is on. */
export type AddressClass =
  | 'public'
  | 'unspecified' // 0.0.0.0/8, ::
  | 'loopback' // 127.0.0.0/8, ::1
  | 'private' // 10/8, 172.16/12, 192.168/16
  | 'link-local' // 169.254/16 (cloud metadata), fe80::/10
  | 'cgnat' // 100.64/10
  | 'unique-local' // fc00::/7
  | 'site-local' // fec0::/10 (deprecated)
  | 'multicast' // 224/4, ff00::/8
  | 'broadcast' // 255.255.255.255
  | 'documentation' // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  | 'benchmarking' // 198.18/15
  | 'reserved'; // every other special-purpose or unallocated range (240/4, 192.0.0/24, ...)

export interface AddressVerdict {
  /** The address checked, as given. */
  address: string;
  /** Null when `address` is not an IP address at all. */
  class: AddressClass | null;
  /** True only for a public unicast address. */
  allowed: boolean;
}

/** Parses dotted-quad IPv4 (`10.0.0.1`) into a 32-bit unsigned number, or null. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || !/^[0-9]+$/.test(part)) return null;
    if (part.length > 1 && part.charCodeAt(0) === 0x30) return null; // no octal-looking forms
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** Parses IPv6 text (with `::`, an embedded IPv4 tail, brackets or a zone id) into 8 groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length < 2 || !s.includes(':')) return null;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) < 0) return parseGroupSection(s, 8);
  // An IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const v4 = parseIPv4(s.slice(lastColon + 1));
  if (v4 === null) return null;
  const head = s.charCodeAt(lastColon - 1) === 0x3a ? s.slice(0, lastColon + 1) : s.slice(0, lastColon);
  const groups = parseGroupSection(head, 6);
  return groups === null ? null : [...groups, Math.floor(v4 / 65536), v4 % 65536];
}

function parseGroupList(part: string): number[] | null {
  if (part === '') return [];
  const out: number[] = [];
  for (const g of part.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return out;
}

/** `count` groups from hex groups with at most one `::`. */
function parseGroupSection(s: string, count: number): number[] | null {
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) return null;
  if (double < 0) {
    const all = parseGroupList(s);
    return all !== null && all.length === count ? all : null;
  }
  const head = parseGroupList(s.slice(0, double));
  const rest = parseGroupList(s.slice(double + 2));
  if (head === null || rest === null) return null;
  const fill = count - head.length - rest.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...rest];
}

function inV4(value: number, base: string, bits: number): boolean {
  const b = parseIPv4(base)!;
  const size = 2 ** (32 - bits);
  return Math.floor(value / size) === Math.floor(b / size);
}

/** The class of a 32-bit IPv4 address. */
export function classifyIPv4(value: number): AddressClass {
  if (inV4(value, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(value, '127.0.0.0', 8)) return 'loopback';
  if (inV4(value, '10.0.0.0', 8) || inV4(value, '172.16.0.0', 12) || inV4(value, '192.168.0.0', 16)) return 'private';
  if (inV4(value, '169.254.0.0', 16)) return 'link-local';
  if (inV4(value, '100.64.0.0', 10)) return 'cgnat';
  if (value === 0xffffffff) return 'broadcast';
  if (inV4(value, '224.0.0.0', 4)) return 'multicast';
  if (inV4(value, '240.0.0.0', 4)) return 'reserved';
  if (inV4(value, '192.0.2.0', 24) || inV4(value, '198.51.100.0', 24) || inV4(value, '203.0.113.0', 24)) return 'documentation';
  if (inV4(value, '198.18.0.0', 15)) return 'benchmarking';
  if (inV4(value, '192.0.0.0', 24) || inV4(value, '192.88.99.0', 24)) return 'reserved';
  return 'public';
}

/** The class of an IPv6 address given as 8 groups. Embedded IPv4 forms take the IPv4's class. */
export function classifyIPv6(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const v4 = g6 * 65536 + g7;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0) {
    if (g7 === 0) return 'unspecified';
    if (g7 === 1) return 'loopback';
  }
  if (upperZero && g5 === 0xffff) return classifyIPv4(v4); // ::ffff:a.b.c.d (IPv4-mapped)
  if (upperZero) return 'reserved'; // ::a.b.c.d (IPv4-compatible, deprecated), ::ffff:0:a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(v4); // NAT64 64:ff9b::/96
  if (g0 === 0x2002) {
    // 6to4: the IPv4 address is in groups 1-2.
    const embedded = classifyIPv4(g1 * 65536 + g2);
    return embedded === 'public' ? 'public' : embedded;
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'site-local';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'documentation';
  if (g0 === 0x3fff && (g1 & 0xf000) === 0) return 'documentation';
  if (g0 === 0x2001 && g1 < 0x0200) return 'reserved'; // 2001::/23 IETF protocol assignments (Teredo, ORCHID, ...)
  if ((g0 & 0xe000) !== 0x2000) return 'reserved'; // outside 2000::/3 global unicast (64:ff9b:1::/48, 100::/64, ...)
  return 'public';
}

/** True when `host` is an IP literal (IPv4 dotted quad, or IPv6 with or without brackets). */
export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== null || parseIPv6(host) !== null;
}

/** The class of an address, or null when it is not an IP literal. */
export function classifyAddress(address: string): AddressClass | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 === null ? null : classifyIPv6(v6);
}

/**
 * The policy's verdict on one address: only public unicast addresses are allowed. Text that is
 * not an IP address is refused too (the policy judges addresses, not names).
 */
export function checkAddress(address: string): AddressVerdict {
  const cls = classifyAddress(address);
  return { address, class: cls, allowed: cls === 'public' };
}

/** Thrown (and answered 502 `outbound-blocked`) when the policy refuses an address. */
export class OutboundBlockedError extends Error {
  readonly code = 'ERR_OUTBOUND_BLOCKED';
  readonly address: string;
  readonly addressClass: AddressClass | null;
  constructor(address: string, addressClass: AddressClass | null) {
    super(`Outbound policy refused a connection to a ${addressClass ?? 'non-IP'} address`);
    this.name = 'OutboundBlockedError';
    this.address = address;
    this.addressClass = addressClass;
  }
}

/** The hostname of an origin (`https://[::1]:8443` -> `::1`), brackets removed. */
export function originHostname(origin: string): string {
  let host = origin.slice(origin.indexOf('//') + 2);
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host;
}

/**
 * The policy applied to a target's host before any connection: a blocked IP literal is
 * refused; a name is left to the connection-time check (DNS). Returns the error or null.
 */
export function checkTargetHost(origin: string): OutboundBlockedError | null {
  const hostname = originHostname(origin);
  const cls = classifyAddress(hostname);
  if (cls === null || cls === 'public') return null;
  return new OutboundBlockedError(hostname, cls);
}
