/**
 * The parts of a target URL that validation reads (src/validate/target.ts), parsed without
 * `new URL` for the shape nearly every table is made of: `http(s)://host[:port][/path][?query]`
 * in plain lower-case ASCII. `new URL` costs about as much as the rest of a route's validation
 * (it crosses into the C++ parser and allocates a URL object); a table of 10,000 routes pays it
 * 10,000 times.
 *
 * The fast path accepts only text on which the WHATWG parser is the identity (nothing to
 * lower-case, percent-encode, resolve or drop), so its answer is `new URL`'s answer; anything
 * unusual (upper case, IDNA, a default or zero-padded port, numeric hosts other than plain
 * dotted-quad IPv4, dot segments, backslashes, spaces, `@`, `#`, `'` in a query, non-ASCII, a
 * stray `%`) falls back to `new URL`. test/target-http-url.test.ts checks the agreement with
 * generated hostile targets.
 */

/** What validation reads of a target URL: the same names and values as a WHATWG `URL`'s. */
export interface TargetUrlParts {
  /** `protocol + '//' + host`, as a URL's `origin` for http(s). */
  readonly origin: string;
  readonly protocol: string;
  readonly host: string;
  readonly pathname: string;
  readonly search: string;
  readonly username: string;
  readonly password: string;
}

/** 1: may stand in a path as is (RFC 3986 pchar and `/`, minus `%`, which is checked apart). */
const PATH_OK = new Uint8Array(128);
/** 1: may stand in a query as is (for special schemes WHATWG also encodes `'` there). */
const QUERY_OK = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") PATH_OK[ch.charCodeAt(0)] = 1;
QUERY_OK.set(PATH_OK);
QUERY_OK[0x27] = 0; // '
QUERY_OK[0x3f] = 1; // ?

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * The URL's parts, or null when the text is not of the simple shape (the caller then asks
 * `new URL`, which is always right).
 */
export function parseSimpleHttpUrl(text: string): TargetUrlParts | null {
  let i: number;
  let protocol: string;
  let defaultPort: string;
  if (text.startsWith('https://')) {
    i = 8;
    protocol = 'https:';
    defaultPort = '443';
  } else if (text.startsWith('http://')) {
    i = 7;
    protocol = 'http:';
    defaultPort = '80';
  } else return null;
  const n = text.length;
  const hostStart = i;
  if (!hostAt(text, hostStart)) return null;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x3a || c === 0x2f || c === 0x3f) break; // : / ?
    i++;
  }
  if (i < n && text.charCodeAt(i) === 0x3a) {
    // A port: 1-65535 without leading zeros and not the scheme's default (both get rewritten).
    const portStart = ++i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    const port = text.slice(portStart, i);
    if (port.length === 0 || port.length > 5 || port.charCodeAt(0) === 48 || Number(port) > 65535 || port === defaultPort) return null;
    if (i < n && text.charCodeAt(i) !== 0x2f && text.charCodeAt(i) !== 0x3f) return null;
  }
  const hostEnd = i; // a URL's `host` includes a non-default port
  let pathname = '/';
  if (i < n && text.charCodeAt(i) === 0x2f) {
    const pathStart = i;
    let segmentStart = i + 1;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x3f) break;
      if (c === 0x2f) {
        if (isDotSegment(text, segmentStart, i)) return null;
        segmentStart = i + 1;
      } else if (c === 0x25) {
        // `%2e` is a dot that segment resolution would act on; a `%` without two hex digits is left to WHATWG.
        if (i + 2 >= n || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) return null;
        if (text.charCodeAt(i + 1) === 0x32 && (text.charCodeAt(i + 2) | 0x20) === 0x65) return null;
      } else if (c >= 128 || PATH_OK[c] !== 1) return null;
    }
    if (isDotSegment(text, segmentStart, i)) return null;
    pathname = text.slice(pathStart, i);
  }
  let search = '';
  if (i < n) {
    // text[i] is `?`: everything after it is the query.
    for (let k = i + 1; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x25) {
        if (k + 2 >= n || !isHex(text.charCodeAt(k + 1)) || !isHex(text.charCodeAt(k + 2))) return null;
      } else if (c >= 128 || QUERY_OK[c] !== 1) return null;
    }
    // An empty query (`...?`) reads as "" in a URL's `search`, as here.
    if (i + 1 < n) search = text.slice(i);
  }
  // The origin is the text itself for a bare `http://host:port` target (no copy kept).
  const origin = hostEnd === n ? text : text.slice(0, hostEnd);
  return { origin, protocol, host: text.slice(hostStart, hostEnd), pathname, search, username: '', password: '' };
}

function isDotSegment(text: string, start: number, end: number): boolean {
  const len = end - start;
  return (len === 1 && text.charCodeAt(start) === 0x2e) || (len === 2 && text.charCodeAt(start) === 0x2e && text.charCodeAt(start + 1) === 0x2e);
}

/**
 * Whether the host starting at `start` (up to `:`, `/`, `?` or the end) is one WHATWG keeps as
 * written: dot-separated labels of `a-z 0-9 -`, none empty, none longer than 63, none an IDNA
 * `xn--` label, at most 253 characters; a host whose last label starts with a digit must be a
 * dotted-quad IPv4 address in canonical form (the "ends in a number" rule parses it as IPv4).
 */
function hostAt(text: string, start: number): boolean {
  const n = text.length;
  let i = start;
  let labelStart = start;
  let labels = 0;
  let numeric = true; // every label so far is a canonical decimal 0-255
  for (; ; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2f;
    if (c === 0x2e || c === 0x3a || c === 0x2f || c === 0x3f) {
      const len = i - labelStart;
      if (len === 0 || len > 63) return false;
      if (len >= 4 && text.startsWith('xn--', labelStart)) return false;
      labels++;
      if (numeric && !isOctet(text, labelStart, i)) numeric = false;
      if (c !== 0x2e) {
        if (i - start > 253) return false;
        const lastFirst = text.charCodeAt(labelStart);
        if (lastFirst >= 48 && lastFirst <= 57) return numeric && labels === 4;
        return true;
      }
      labelStart = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 0x2d)) return false;
  }
}

/** A decimal 0-255 without leading zeros. */
function isOctet(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > 3) return false;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    v = v * 10 + (c - 48);
  }
  return v <= 255 && (len === 1 || text.charCodeAt(start) !== 48);
}
