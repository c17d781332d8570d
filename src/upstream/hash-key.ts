/**
 * The key a consistent-hash route hashes on (SPEC 11 `{ "hash": "ip" | "header:<name>" |
 * "cookie:<name>" | "query:<name>" | "param:<name>" }`), read from the request. Undefined when
 * the request carries none: the balancer then falls back to round-robin.
 */

/** What the transports give the balancer to read a key from. Transport-neutral. */
export interface KeySource {
  /** The client's address as the socket saw it. */
  readonly clientAddress: string | null;
  /** A request header's value (repeated lines joined with ", "), or null. Lower-case name. */
  header(name: string): string | null;
  /** The normalized query, without `?`. */
  readonly query: string;
  /** The match's decoded parameters. */
  readonly params: Readonly<Record<string, string>>;
}

/** The first `name=value` of a `Cookie` header (RFC 6265 5.4 pairs), unquoted. */
function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v;
  }
  return undefined;
}

function queryValue(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const raw = eq < 0 ? pair : pair.slice(0, eq);
    let k: string;
    try {
      k = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      k = raw;
    }
    if (k !== name) continue;
    const v = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return v;
    }
  }
  return undefined;
}

/** The request's hash key for `spec`, or undefined (no such key: round-robin). Never throws. */
export function hashKey(spec: string, source: KeySource): string | undefined {
  if (spec === 'ip') return source.clientAddress ?? undefined;
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  switch (kind) {
    case 'header':
      return source.header(name.toLowerCase()) ?? undefined;
    case 'cookie': {
      const header = source.header('cookie');
      return header === null ? undefined : cookieValue(header, name);
    }
    case 'query':
      return queryValue(source.query, name);
    case 'param':
      return Object.prototype.hasOwnProperty.call(source.params, name) ? source.params[name] : undefined;
    default:
      return undefined;
  }
}
