/**
 * Header plumbing shared by every transport (SPEC section 8). Pure: no Node built-ins, so it
 * runs in sandboxes, enclaves and edge runtimes.
 */
import { emptyRecord } from '../policies/record.js';

/** A header value as the proxy carries it: repeated headers stay separate (every Set-Cookie). */
export type HeaderValue = string | string[];

/** Header names in lower case. */
export type HeaderRecord = Record<string, HeaderValue>;

/** Anything with `forEach(value, name)`: a fetch `Headers`, undici's, a polyfill's. */
export interface HeadersLike {
  forEach(callback: (value: string, name: string) => void): void;
  /** Fetch `Headers` fold repeated Set-Cookie; this returns them one by one. */
  getSetCookie?(): string[];
}

/**
 * Headers in any of the shapes hosts hand over: a plain record (Node's `req.headers`, the
 * platform's invocation shape), a `Headers`-like object, Node's flat `rawHeaders` array
 * (`[name, value, name, value, ...]`, which keeps every repeated header), or `[name, value]` pairs.
 */
export type HeadersInput = Readonly<Record<string, string | readonly string[] | number | undefined | null>> | HeadersLike | readonly string[] | Iterable<readonly [string, string]>;

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1 and the ones every proxy drops), never forwarded
 * in either direction. `proxy-connection` is the pre-standard spelling some clients still send;
 * `expect` is answered by the host server (100-continue) and never forwarded; `http2-settings`
 * belongs to an h2c upgrade.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/**
 * `HOP_BY_HOP_HEADERS.has(name)` for a lower-case name, without hashing it: every request and
 * response header passes here, and names from `toLowerCase()` are fresh strings whose hash a
 * Set lookup computes each time (callgrind: ~350 instructions a name, ~40 here). Decided by
 * length first (most names match no hop-by-hop length). test/proxy-hop-by-hop.test.ts holds it
 * equal to the Set.
 */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 6:
      return name === 'expect';
    case 7:
      return name === 'trailer' || name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 14:
      return name === 'http2-settings';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    case 18:
      return name === 'proxy-authenticate';
    case 19:
      return name === 'proxy-authorization';
    default:
      return false;
  }
}

function addValue(out: HeaderRecord, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (typeof prev === 'string') out[name] = [prev, value];
  else prev.push(value);
}

function isHeadersLike(input: unknown): input is HeadersLike {
  return typeof (input as HeadersLike).forEach === 'function' && !Array.isArray(input);
}

/** Every header as a record with lower-case names; repeated headers become arrays. */
export function toHeaderRecord(input: HeadersInput | null | undefined): HeaderRecord {
  const out: HeaderRecord = Object.create(null) as HeaderRecord;
  if (input === null || input === undefined) return out;
  if (Array.isArray(input)) {
    const raw = input as readonly unknown[];
    if (raw.length > 0 && Array.isArray(raw[0])) {
      for (const pair of raw as readonly (readonly [string, string])[]) addValue(out, String(pair[0]).toLowerCase(), String(pair[1]));
    } else {
      for (let i = 0; i + 1 < raw.length; i += 2) addValue(out, String(raw[i]).toLowerCase(), String(raw[i + 1]));
    }
    return out;
  }
  if (isHeadersLike(input)) {
    const cookies = typeof input.getSetCookie === 'function' ? input.getSetCookie() : null;
    input.forEach((value, name) => {
      const lower = name.toLowerCase();
      if (cookies !== null && lower === 'set-cookie') return;
      addValue(out, lower, value);
    });
    if (cookies !== null) for (const c of cookies) addValue(out, 'set-cookie', c);
    return out;
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function' && !isPlainRecord(input)) {
    for (const [name, value] of input as Iterable<readonly [string, string]>) addValue(out, String(name).toLowerCase(), String(value));
    return out;
  }
  for (const name of Object.keys(input)) {
    const value = (input as Extract<HeadersInput, Readonly<Record<string, unknown>>>)[name];
    if (value === undefined || value === null) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const v of value) addValue(out, lower, String(v));
    else addValue(out, lower, String(value));
  }
  return out;
}

function isPlainRecord(input: unknown): boolean {
  const proto: unknown = Object.getPrototypeOf(input);
  return proto === Object.prototype || proto === null;
}

/**
 * The headers a Connection (or Proxy-Connection) value names beyond the hop-by-hop ones (lower
 * case), or null when it names none: the usual `keep-alive` and `close` allocate nothing.
 * (`close` names a header called "close": it is kept in the set, as any other token.)
 */
function addConnectionTokens(value: HeaderValue | undefined, into: Set<string> | null): Set<string> | null {
  if (value === undefined) return into;
  if (typeof value === 'string') return addTokens(value, into);
  for (const v of value) into = addTokens(v, into);
  return into;
}

function addTokens(v: string, into: Set<string> | null): Set<string> | null {
  // The common single token, without splitting: `keep-alive` is hop-by-hop already.
  if (v.length === 10 && v.toLowerCase() === 'keep-alive') return into;
  for (const token of v.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '' && !isHopByHop(t)) (into ??= new Set<string>()).add(t);
  }
  return into;
}

/**
 * The end-to-end headers of a message (SPEC section 8): a new record without the hop-by-hop
 * headers, without every header named in `Connection` (or the pre-standard
 * `Proxy-Connection`), and without HTTP/2 pseudo-headers (`:authority`, ...). The one place hop-by-hop headers are dropped, for requests going
 * upstream and responses coming back, on every transport.
 */
export function endToEndHeaders(all: HeaderRecord): HeaderRecord {
  const named = addConnectionTokens(all['proxy-connection'], addConnectionTokens(all['connection'], null));
  const out: HeaderRecord = Object.create(null) as HeaderRecord;
  for (const name in all) {
    // `:method`, `:path`, `:authority`, `:scheme` (an HTTP/2 request through Node's
    // compatibility API): they belong to that connection's framing, not to the message.
    if (name.charCodeAt(0) === 0x3a || isHopByHop(name) || (named !== null && named.has(name))) continue;
    out[name] = all[name]!;
  }
  return out;
}

/**
 * The response head as `writeHead`'s flat `[name, value, ...]` list: the end-to-end fields of
 * undici's parsed head, in its order. Node serializes a list without the `for...in` and
 * own-property check it runs over a record, and building one allocates no dictionary-mode
 * object (a null-prototype record is one). Null when a Connection field may name fields to drop
 * (anything but `keep-alive`): `endToEndHeaders` then decides, so the two shapes hold the same
 * fields (test/proxy-relay-head.test.ts). The Node relay's response head (src/proxy/node-relay.ts).
 */
export function endToEndPairs(headers: Record<string, string | string[] | undefined>): (string | string[])[] | null {
  const connection = headers['connection'];
  if ((connection !== undefined && connection !== 'keep-alive') || headers['proxy-connection'] !== undefined) return null;
  const out: (string | string[])[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a || isHopByHop(name)) continue;
    out.push(name, headers[name] as string | string[]);
  }
  return out;
}

/** What `endToEndFromRaw` returns: the end-to-end record and the first Host and `:authority` values. */
export interface RawEndToEnd {
  headers: HeaderRecord;
  host: string | undefined;
  authority: string | undefined;
}

/** Whether `input` is Node's flat `rawHeaders` shape (`[name, value, name, value, ...]`). */
export function isFlatRawHeaders(input: HeadersInput): input is readonly string[] {
  return Array.isArray(input) && (input.length === 0 || !Array.isArray(input[0]));
}

/**
 * `endToEndHeaders(toHeaderRecord(raw))` for Node's flat `rawHeaders` in one pass (the proxy's
 * per-request path: one record built instead of two, no walk over a dictionary-mode object),
 * with the first `Host` and `:authority` values the dropped ones would have shown, in a fast-mode
 * record (`emptyRecord`). Same entries, same key order (test/proxy-headers-raw.test.ts checks it against the two-step path).
 */
export function endToEndFromRaw(raw: readonly string[]): RawEndToEnd {
  // Fast mode, not `Object.create(null)`: a dictionary record made every new name a runtime
  // store and undici's `Object.keys` a dictionary walk (7k of the 10k instructions
  // `buildProxyRequest` cost per request, session 26). V8 turns it into a dictionary by itself
  // at the 22nd name, so a long header list costs about what it did before.
  const out = emptyRecord<HeaderValue>();
  let host: string | undefined;
  let authority: string | undefined;
  let named: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // Node's rawHeaders hold strings: String() only for other callers' lists.
    const n = raw[i];
    const v = raw[i + 1];
    const name = (typeof n === 'string' ? n : String(n)).toLowerCase();
    const value = typeof v === 'string' ? v : String(v);
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':authority' && authority === undefined) authority = value;
      continue;
    }
    if (isHopByHop(name)) {
      if (name === 'connection' || name === 'proxy-connection') named = addTokens(value, named);
      continue;
    }
    if (name === 'host' && host === undefined) host = value;
    addValue(out, name, value);
  }
  // Rare: a Connection header naming end-to-end headers. Deleting keeps the others' order.
  if (named !== null) for (const name of named) delete out[name];
  return { headers: out, host, authority };
}

/** A header record as a fetch `Headers` (every Set-Cookie kept as its own line). */
export function toFetchHeaders(record: HeaderRecord): Headers {
  const headers = new Headers();
  for (const name in record) {
    const value = record[name]!;
    if (typeof value === 'string') headers.append(name, value);
    else for (const v of value) headers.append(name, v);
  }
  return headers;
}

/** The first value of a header, or undefined. */
export function firstValue(value: HeaderValue | undefined): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : value[0];
}

/** Headers as route conditions read them (`MatchRequest['headers']`). */
export type ConditionHeaders = { get(name: string): string | null } | Readonly<HeaderRecord> | ((name: string) => string | null);

/**
 * Headers as route conditions read them: a fetch `Headers`, or a record this module built
 * (lower-case names, null prototype), as they are; any other shape through a getter that
 * converts it once, on the first read (tables without header conditions never read headers,
 * so they pay nothing).
 */
export function conditionHeaders(input: HeadersInput): ConditionHeaders {
  if (typeof Headers !== 'undefined' && input instanceof Headers) return input;
  if (!Array.isArray(input) && Object.getPrototypeOf(input) === null) return input as Readonly<HeaderRecord>;
  let record: HeaderRecord | undefined;
  return (name) => {
    record ??= toHeaderRecord(input);
    const value = record[name.toLowerCase()];
    return value === undefined ? null : typeof value === 'string' ? value : value.join(', ');
  };
}

/** One header of `ConditionHeaders` (repeated lines joined with ", "), or null. */
export function readConditionHeader(headers: ConditionHeaders, name: string): string | null {
  if (typeof headers === 'function') return headers(name);
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name);
  const value = (headers as Readonly<HeaderRecord>)[name];
  return value === undefined ? null : typeof value === 'string' ? value : value.join(', ');
}
