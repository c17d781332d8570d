/**
 * The RFC 9111 decisions of the route cache where undici's interceptor cannot run (a fetch
 * runtime, and above the attempt loop): whether a response may be stored by a shared cache and
 * for how long, whether a stored one may be reused, how to revalidate it, and what a 304
 * changes. Pure: no Node built-ins. The rules and stored fields are undici 7's
 * (lib/handler/cache-handler.js `canCacheResponse`, `determineStaleAt`, `determineDeleteAt`;
 * lib/interceptor/cache.js `handleResult`), so a route behaves the same on every transport;
 * what this side leaves out (stale-while-revalidate served in the background, stale-if-error)
 * is in docs/policies.md.
 */
import type { HeaderRecord, HeaderValue } from '../../pipeline/headers.js';
import { hasInvalidDirective, parseCacheControl, trimOWS, type CacheDirectives } from './directives.js';
import { parseHttpDate } from './http-date.js';

/** A stored response's head: the fields of undici's cache `GetResult`, without the body. */
export interface StoredHead {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** End-to-end headers as received, minus `Age` (added back when served). */
  readonly headers: HeaderRecord;
  readonly etag?: string;
  /** The request headers the response varies on, as they were (null: absent). */
  readonly vary?: Readonly<Record<string, HeaderValue | null>>;
  readonly cacheControlDirectives: CacheDirectives;
  readonly cachedAt: number;
  readonly staleAt: number;
  readonly deleteAt: number;
}

// undici's lists (RFC 9111 section 4.2.2 and 3), as switches: every stored response asks them
// (a Set lookup per header name was ~0.35k instructions of a miss).
/** undici's `HEURISTICALLY_CACHEABLE_STATUS_CODES`. */
function heuristicallyCacheable(status: number): boolean {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}
const MAX_RESPONSE_AGE = 2147483647000;
/** A zero-lifetime entry with a validator is kept this long for revalidation (undici's figure). */
const REVALIDATION_ONLY_RETENTION = 86_400_000;
/**
 * Headers a cache never stores: undici's fixed hop-by-hop list (`connection`,
 * `proxy-authenticate`, `proxy-authentication-info`, `proxy-authorization`, `proxy-connection`,
 * `te`, `transfer-encoding`, `upgrade`) and `age` (recomputed when served). `Keep-Alive` is not
 * in it: like undici, it is dropped only when `Connection` names it (RFC 9111 section 3.1); the
 * relay drops it from what the client gets either way. By length first: most names are
 * rejected without a character compared.
 */
function notStored(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 3:
      return name === 'age';
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    case 18:
      return name === 'proxy-authenticate';
    case 19:
      return name === 'proxy-authorization';
    case 25:
      return name === 'proxy-authentication-info';
    default:
      return false;
  }
}

/** undici's `getDate`: a single value read as an HTTP date; undefined when unreadable (ignored), null when repeated (refused). */
function responseDate(v: HeaderValue): number | null | undefined {
  const s = typeof v === 'string' ? v : v.length === 1 ? v[0] : undefined;
  return s === undefined ? null : parseHttpDate(s);
}

/** undici's `getAge` in ms: a malformed or repeated `Age` counts as too old to store. */
function ageMs(v: HeaderValue): number {
  const s = typeof v === 'string' ? v : v.length === 1 ? v[0] : undefined;
  if (s === undefined || !/^[\t ]*[0-9]+[\t ]*$/.test(s)) return MAX_RESPONSE_AGE;
  const seconds = BigInt(trimOWS(s));
  return seconds >= BigInt(MAX_RESPONSE_AGE / 1000) ? MAX_RESPONSE_AGE : Number(seconds) * 1000;
}

/** undici's `isEtagUsable`: a quoted, non-empty strong or weak tag. */
export function usableEtag(v: HeaderValue | undefined): string | undefined {
  const e = typeof v === 'string' ? v : undefined;
  if (e === undefined || e.length <= 2) return undefined;
  if (e.startsWith('"') && e.endsWith('"')) return e[1] === '"' || e.startsWith('"W/') ? undefined : e;
  if (e.startsWith('W/"') && e.endsWith('"') && e.length !== 4) return e;
  return undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** The field names of a `Vary` (lower-cased), or null for `*` or a name that is not a token (undici's `isInvalidOrWildcardVaryHeader`). */
function varyNames(v: HeaderValue): string[] | null {
  const names: string[] = [];
  for (const part of (typeof v === 'string' ? v : v.join(',')).split(',')) {
    const trimmed = trimOWS(part);
    if (trimmed.includes('*')) return null;
    const name = trimmed.toLowerCase();
    if (name === '') continue;
    if (!TOKEN.test(name)) return null;
    names.push(name);
  }
  return names;
}

/** undici's `determineStaleAt`: the freshness lifetime in ms (relative), or undefined when the response gives none. */
function lifetime(now: number, age: number | undefined, headers: HeaderRecord, date: number | undefined, cc: CacheDirectives, hasValidator: boolean): number | undefined {
  // A shared cache: s-maxage > max-age > Expires > heuristic (RFC 9111 sections 4.2.1, 5.2.2.10).
  // A malformed one is not skipped: it makes the response stale at once (fail safe).
  if (hasInvalidDirective(cc, 's-maxage')) return 0;
  if (cc['s-maxage'] !== undefined) return cc['s-maxage'] * 1000;
  if (hasInvalidDirective(cc, 'max-age')) return 0;
  if (cc['max-age'] !== undefined) return cc['max-age'] * 1000;
  if (headers['expires'] !== undefined) {
    // An unreadable or repeated Expires means "already expired" (RFC 9111 section 5.3).
    const raw = headers['expires'];
    const expires = typeof raw === 'string' ? parseHttpDate(raw) : undefined;
    if (expires === undefined || now >= expires) return 0;
    if (date !== undefined) {
      if (date >= expires) return 0;
      const life = expires - date;
      return age !== undefined && age >= life ? 0 : life;
    }
    return expires - now;
  }
  const lmRaw = headers['last-modified'];
  const lastModified = typeof lmRaw === 'string' ? parseHttpDate(lmRaw) : undefined;
  if (lastModified !== undefined) return lastModified >= now ? undefined : (now - lastModified) * 0.1;
  if (cc.immutable) return 31_536_000_000;
  if (cc['no-cache'] === true && hasValidator) return 0;
  return undefined;
}

/** undici's `determineDeleteAt` (`cachedAt` is the time of storing, `baseTime` the response's corrected birth). */
function deleteAtOf(baseTime: number, cachedAt: number, cc: CacheDirectives, staleAt: number): number {
  const swr = cc['stale-while-revalidate'] ? staleAt + cc['stale-while-revalidate'] * 1000 : -Infinity;
  const sie = cc['stale-if-error'] ? staleAt + cc['stale-if-error'] * 1000 : -Infinity;
  const immutable = cc.immutable && swr === -Infinity && sie === -Infinity ? cachedAt + 31_536_000_000 : -Infinity;
  if (swr === -Infinity && sie === -Infinity && immutable === -Infinity) {
    const life = staleAt - baseTime;
    if (life <= 0) return cachedAt + REVALIDATION_ONLY_RETENTION;
    // Dates have second precision: the entry outlives staleAt by the lifetime plus up to 1 s of skew.
    return staleAt + life + Math.min(Math.max(cachedAt - baseTime, 0), 1000);
  }
  return Math.max(staleAt, swr, sie, immutable);
}

/** True when a response forbids a shared cache to keep or reuse what it holds (no-store, private, Set-Cookie, Vary: * or unreadable). */
export function forbidsSharedReuse(headers: HeaderRecord, cc: CacheDirectives): boolean {
  if (headers['vary'] && varyNames(headers['vary']) === null) return true;
  return headers['set-cookie'] !== undefined || cc['no-store'] === true || cc.private === true;
}

/**
 * No directives: one frozen object shared by every response without `Cache-Control` (a route
 * with a `ttl` stores many), not a new one kept by each stored entry. Nothing writes directives.
 */
const NO_DIRECTIVES: CacheDirectives = Object.freeze({});

/** A response's directives as undici reads them: an empty `Cache-Control` is none. */
export function responseDirectives(headers: HeaderRecord): CacheDirectives {
  const v = headers['cache-control'];
  return v ? parseCacheControl(v) : NO_DIRECTIVES;
}

/*
 * Presence is read as `headers[name] !== undefined`, not `Object.hasOwn`: a HeaderRecord holds
 * no undefined values, and none of the names read (age, date, expires, set-cookie,
 * authorization) is an `Object.prototype` property, so the two agree; a builtin call per name
 * was ~0.4k instructions of every stored response.
 */

export interface StoreInput {
  readonly method: string;
  readonly status: number;
  readonly statusText: string;
  /** The response's headers as received (lower-case names). */
  readonly headers: HeaderRecord;
  /** The request as sent upstream (lower-case names): Vary and Authorization are judged on it. */
  readonly requestHeaders: HeaderRecord;
  /** The route's `ttl` (ms): the lifetime of a response that gives no freshness information. */
  readonly ttl: number | undefined;
  readonly now: number;
}

/**
 * What to store for a response, or null when a shared cache must not store it (RFC 9111
 * section 3): undici 7's CacheHandler `onResponseStart` for an empty store, step for step (the
 * differential in test/cache-rules-undici.test.ts holds the two equal).
 */
export function storableHead(input: StoreInput): StoredHead | null {
  const { status, headers, requestHeaders, now } = input;
  if (input.method !== 'GET' && input.method !== 'HEAD') return null;
  const cc = responseDirectives(headers);
  if (forbidsSharedReuse(headers, cc)) return null;
  const heuristic = Boolean(headers['last-modified']) && heuristicallyCacheable(status);
  // Nothing says it may be stored, and the route gives no ttl (undici tests these for truthiness).
  if (!headers['cache-control'] && !headers['expires'] && !heuristic && !input.ttl) return null;
  // Final and understood statuses only; others need explicit freshness (undici's `canCacheResponse`).
  if (status < 200 || status === 206) return null;
  if (!heuristicallyCacheable(status) && !headers['expires'] && !cc.public && cc['max-age'] === undefined && cc['s-maxage'] === undefined) return null;
  // A request with credentials (RFC 9111 section 3.5).
  if (requestHeaders['authorization'] !== undefined) {
    if (!cc.public && !cc['s-maxage'] && !cc['must-revalidate']) return null;
    if (typeof requestHeaders['authorization'] !== 'string') return null;
    if (Array.isArray(cc['no-cache']) && cc['no-cache'].includes('authorization')) return null;
    if (Array.isArray(cc.private) && cc.private.includes('authorization')) return null;
  }
  // A 304 only updates what is stored (`revalidated`); it is never stored itself.
  if (status === 304) return null;
  const age = headers['age'] !== undefined ? ageMs(headers['age']!) : undefined;
  if (age !== undefined && age >= MAX_RESPONSE_AGE) return null;
  // An unreadable Date is ignored (the response's age is then its Age alone); a repeated one refuses storage.
  const date = headers['date'] !== undefined ? responseDate(headers['date']!) : undefined;
  if (date === null) return null;
  const currentAge = Math.max(date !== undefined ? Math.max(0, now - date) : 0, age ?? 0);
  const etag = usableEtag(headers['etag']);
  const hasValidator = etag !== undefined || typeof headers['last-modified'] === 'string';
  // The route's ttl applies only when the response gives no freshness information.
  const life = lifetime(now, age, headers, date, cc, hasValidator) ?? input.ttl;
  const revalidationOnly = life === 0 && hasValidator;
  if (life === undefined || (currentAge >= life && !revalidationOnly)) return null;
  const baseTime = now - currentAge;
  const staleAt = life + baseTime;
  if (now >= staleAt && !revalidationOnly) return null;
  let vary: Record<string, HeaderValue | null> | undefined;
  if (headers['vary'] !== undefined) {
    vary = {};
    for (const name of varyNames(headers['vary'])!) {
      const v = requestHeaders[name];
      vary[name] = v === undefined ? null : typeof v === 'string' ? v : v.slice();
    }
  }
  return {
    statusCode: status,
    statusMessage: input.statusText,
    headers: storedHeaders(headers, cc),
    ...(etag !== undefined ? { etag } : {}),
    ...(vary !== undefined ? { vary } : {}),
    cacheControlDirectives: cc,
    cachedAt: baseTime,
    staleAt,
    deleteAt: deleteAtOf(baseTime, now, cc, staleAt),
  };
}

/** undici's `stripNecessaryHeaders`: the fixed list, what `Connection` names, and the fields `no-cache` / `private` name. */
function storedHeaders(headers: HeaderRecord, cc: CacheDirectives): HeaderRecord {
  // The names a response itself adds to the list (Connection, `no-cache` / `private` fields), if any.
  let extra: Set<string> | null = null;
  const conn = headers['connection'];
  // `Connection: keep-alive`, what a keep-alive HTTP/1.1 upstream sends on every response, names
  // only `keep-alive`: dropped without splitting it into a Set (one per stored response).
  const keepAliveOnly = conn === 'keep-alive';
  if (conn && !keepAliveOnly) for (const v of typeof conn === 'string' ? [conn] : conn) for (const n of v.split(',')) (extra ??= new Set()).add(trimOWS(n).toLowerCase());
  const noCache = cc['no-cache'];
  if (Array.isArray(noCache)) for (const n of noCache) (extra ??= new Set()).add(n);
  const priv = cc.private;
  if (Array.isArray(priv)) for (const n of priv) (extra ??= new Set()).add(n);
  const stored: HeaderRecord = {};
  for (const name in headers) if (!notStored(name) && (extra === null || !extra.has(name)) && !(keepAliveOnly && name === 'keep-alive')) stored[name] = headers[name]!;
  return stored;
}

/** Whether a stored entry answers a request with these headers (its Vary fields equal). */
export function varyMatches(entry: Pick<StoredHead, 'vary'>, requestHeaders: HeaderRecord): boolean {
  if (entry.vary === undefined) return true;
  for (const name in entry.vary) {
    const want = entry.vary[name] ?? null;
    const have = requestHeaders[name] ?? null;
    if (want === null || have === null) {
      if (want !== have) return false;
    } else if (typeof want === 'string' || typeof have === 'string') {
      if (want !== have) return false;
    } else if (want.length !== have.length || want.some((v, i) => v !== have[i])) return false;
  }
  return true;
}

/** What to do with a stored entry for a request. */
export type Reuse =
  /** Serve it (`age` in seconds). */
  | { readonly kind: 'fresh'; readonly age: number }
  /** Ask the upstream first, with these conditional headers. */
  | { readonly kind: 'revalidate'; readonly headers: Readonly<Record<string, string>> }
  /** Never reuse it: forward as if there were none (and forget it). */
  | { readonly kind: 'drop' };

function requiresRevalidationWhenStale(entry: StoredHead): boolean {
  const cc = entry.cacheControlDirectives;
  // s-maxage implies proxy-revalidate for a shared cache (RFC 9111 section 5.2.2.10).
  return cc['must-revalidate'] === true || cc['proxy-revalidate'] === true || cc['s-maxage'] !== undefined;
}

/** undici's `handleResult` for a stored entry, request directives and headers. */
export function reuseDecision(entry: StoredHead, request: CacheDirectives | undefined, requestHeaders: HeaderRecord, now: number): Reuse {
  // Shared stores may hold what an older writer kept: never serve a Set-Cookie.
  if (Object.hasOwn(entry.headers, 'set-cookie') || now > entry.deleteAt) return { kind: 'drop' };
  const age = Math.round((now - entry.cachedAt) / 1000);
  const maxAgeExpired = request?.['max-age'] !== undefined && age >= request['max-age'];
  let stale = now > entry.staleAt;
  if (stale && !requiresRevalidationWhenStale(entry) && request?.['max-stale'] !== undefined) stale = now > entry.staleAt + request['max-stale'] * 1000;
  else if (!stale && request?.['min-fresh'] !== undefined) stale = entry.staleAt - now <= request['min-fresh'] * 1000;
  const revalidate =
    maxAgeExpired ||
    request?.['no-cache'] !== undefined ||
    entry.cacheControlDirectives['no-cache'] === true ||
    requestHeaders['if-modified-since'] !== undefined ||
    requestHeaders['if-none-match'] !== undefined;
  if (!stale && !maxAgeExpired && !revalidate) return { kind: 'fresh', age };
  const headers: Record<string, string> = {};
  const lm = entry.headers['last-modified'];
  const lastModified = typeof lm === 'string' && parseHttpDate(lm) !== undefined ? lm : undefined;
  headers['if-modified-since'] = lastModified ?? new Date(entry.cachedAt).toUTCString();
  if (entry.etag !== undefined) headers['if-none-match'] = entry.etag;
  return { kind: 'revalidate', headers };
}

/**
 * A 304 answering our revalidation: the entry updated with the 304's headers (RFC 9111 section
 * 4.3.4), or null when it may not be reused (another ETag, or the 304 forbids reuse).
 */
export function revalidated(
  entry: StoredHead,
  headers304: HeaderRecord,
  requestHeaders: HeaderRecord,
  ttl: number | undefined,
  now: number,
): { head: StoredHead | null; reuse: boolean } {
  const cc = responseDirectives(headers304);
  if (forbidsSharedReuse(headers304, cc)) return { head: null, reuse: false };
  if (Object.hasOwn(headers304, 'etag')) {
    const got = usableEtag(headers304['etag']);
    if (got === undefined || entry.etag === undefined) return { head: null, reuse: false };
    const same = got.startsWith('W/') ? got.slice(2) === (entry.etag.startsWith('W/') ? entry.etag.slice(2) : entry.etag) : got === entry.etag;
    if (!same) return { head: null, reuse: false };
  }
  const merged: HeaderRecord = { ...entry.headers };
  for (const name in headers304) if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding') merged[name] = headers304[name]!;
  const head = storableHead({ method: 'GET', status: entry.statusCode, statusText: entry.statusMessage, headers: merged, requestHeaders, ttl, now });
  return { head: head !== null ? { ...head, statusCode: entry.statusCode, statusMessage: entry.statusMessage } : null, reuse: true };
}

/** The headers a stored entry is served with: as stored, plus `Age` (RFC 9111 section 5.1). */
export function servedHeaders(entry: StoredHead, now: number): HeaderRecord {
  return { ...entry.headers, age: String(Math.max(0, Math.round((now - entry.cachedAt) / 1000))) };
}
