/**
 * The client's address for rate-limit keys (SPEC 12): the socket's, unless the host lists
 * trusted proxies; then the rightmost `X-Forwarded-For` entry that is not a trusted proxy
 * (the first hop a trusted proxy saw), as Express's `trust proxy` does. Uses `proxy-addr`
 * (the expressjs module behind `trust proxy`: maintained, pure JavaScript, CIDR and IPv6
 * aware) rather than a hand-written CIDR parser.
 */
import proxyaddr from 'proxy-addr';
import { firstValue, type HeaderRecord } from '../pipeline/headers.js';

/** A list of trusted proxy addresses or CIDR ranges (`"10.0.0.0/8"`, `"::1"`), or names `proxy-addr` knows: "loopback", "linklocal", "uniquelocal". */
export type TrustedProxies = readonly string[];

export type AddressResolver = (socketAddress: string | null, headers: HeaderRecord) => string | null;

/** `::ffff:10.1.2.3` as `10.1.2.3`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * A resolver for `trusted`. Throws a TypeError naming the bad entry when the list holds one
 * that is not an address or range (a host configuration error, reported at start-up).
 */
export function clientAddressResolver(trusted: TrustedProxies | undefined): AddressResolver {
  if (trusted === undefined || trusted.length === 0) return (socket) => (socket === null ? null : plain(socket));
  let trust: (addr: string, i: number) => boolean;
  try {
    trust = proxyaddr.compile([...trusted]);
  } catch (err) {
    throw new TypeError(`trustedProxies: ${(err as Error).message}; write addresses or CIDR ranges such as "10.0.0.0/8" or "::1"`, { cause: err });
  }
  return (socket, headers) => {
    if (socket === null) return null;
    const xff = headers['x-forwarded-for'];
    const joined = xff === undefined ? undefined : typeof xff === 'string' ? xff : xff.join(', ');
    const fake = { connection: { remoteAddress: socket }, socket: { remoteAddress: socket }, headers: joined === undefined ? {} : { 'x-forwarded-for': joined } };
    try {
      return plain(proxyaddr(fake as never, trust));
    } catch {
      return plain(socket);
    }
  };
}

/** The first value of a header (re-exported for the stages). */
export { firstValue };
