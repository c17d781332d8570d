/**
 * The route cache on Node (SPEC 12 `cache`): undici's cache interceptor (RFC 9111: freshness,
 * Vary, ETag/Last-Modified revalidation, `no-store`, `private`, Set-Cookie and Authorization
 * rules of a shared cache) composed over the proxy's Agent, one interceptor per cached variant
 * (its `ttl` is the interceptor's `cacheByDefault`, which applies only to responses without
 * freshness information), all on one bounded store.
 *
 * Per-caller keys: the interceptor keys on origin and path, so the route and, on a route with
 * `auth`, the caller's identity (a digest of both, `keyPrefix`) are prefixed to the path it
 * sees; an interceptor below it puts the real path back before the request leaves. That interceptor also records that the request
 * went upstream, which with the store's lookup probe gives `Cache-Status`.
 */
import { createHash } from 'node:crypto';
import { interceptors, type Dispatcher } from 'undici';
import type { CacheConfig, RouteVariant } from '../../table/route.js';
import type { BoundedCacheStore, StoredEntry } from './bounded-store.js';
import { reuseDecision, type StoredHead } from './freshness.js';
import type { CacheOutcome } from './status.js';

/** Per-request state the interceptors fill in. */
export interface CacheProbe {
  found: boolean;
  upstream: boolean;
  readonly realPath: string;
}

interface ProbedOptions extends Dispatcher.DispatchOptions {
  afCacheProbe?: CacheProbe;
}

/** Restores the real path and records that the request left for the upstream. */
const restorePath: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const probe = (opts as ProbedOptions).afCacheProbe;
  if (probe === undefined) return dispatch(opts, handler);
  probe.upstream = true;
  // Cleared rather than deleted: a deleted property would turn the options into a slow dictionary object.
  return dispatch({ ...opts, path: probe.realPath, afCacheProbe: undefined } as ProbedOptions, handler);
};

/** A stored response served without the interceptor (see `NodeRouteCache.fresh`). */
export interface FreshEntry {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: readonly Buffer[];
}

/** True when a request header set asks anything of the cache (then the interceptor decides). */
function asksTheCache(headers: Record<string, string | string[]>): boolean {
  return headers['cache-control'] !== undefined || headers['pragma'] !== undefined || headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
}

/** Most encoded partitions `NodeRouteCache.keyPath` keeps. */
const MAX_PREFIXES = 10_000;

export class NodeRouteCache {
  private readonly dispatchers = new WeakMap<RouteVariant, Dispatcher>();
  private readonly stores = new WeakMap<RouteVariant, ReturnType<BoundedCacheStore['forRoute']>>();

  constructor(
    private readonly agent: Dispatcher,
    readonly store: BoundedCacheStore,
  ) {}

  private dispatcherFor(variant: RouteVariant, config: CacheConfig): Dispatcher {
    let d = this.dispatchers.get(variant);
    if (d === undefined) {
      const cache = interceptors.cache({
        store: this.storeFor(variant, config),
        methods: [...config.methods] as ('GET' | 'HEAD')[],
        type: 'shared',
        // undici 7 adds `cacheByDefault` to the response time as a freshness lifetime in ms
        // (lib/handler/cache-handler.js: `determineStaleAt(...) ?? cacheByDefault`).
        ...(config.ttl !== undefined ? { cacheByDefault: config.ttl } : {}),
      });
      d = this.agent.compose(restorePath, cache);
      this.dispatchers.set(variant, d);
    }
    return d;
  }

  private storeFor(variant: RouteVariant, config: CacheConfig): ReturnType<BoundedCacheStore['forRoute']> {
    let store = this.stores.get(variant);
    if (store === undefined) this.stores.set(variant, (store = this.store.forRoute(config.maxEntrySize)));
    return store;
  }

  /**
   * The start of the key path of every response in `partition`: 132 bits of the partition's
   * SHA-256 (base64url, so no '/'), not the partition itself (route name and the caller's
   * identity, ~85 characters encoded for an API key). Every miss hashes its new key as a Map
   * key: a key ~60 characters shorter is ~1k instructions less per miss, and 10,000 held
   * entries keep as many characters less. Two partitions share a prefix only on a SHA-256
   * collision of its first 132 bits (out of reach of chosen subjects or keys). Computed once
   * per partition (kept by `keyPath` and by the hit path).
   */
  static keyPrefix(partition: string): string {
    return `/~${createHash('sha256').update(partition).digest('base64url').slice(0, 22)}`;
  }

  /** `partition` → its encoded key prefix (see `keyPath`). */
  private readonly prefixes = new Map<string, string>();

  /**
   * The cache key path: the partition (route, caller) before the real path. The encoded
   * partition is kept per partition string (a route's callers are few and come back: encoding
   * it per request was 1.5% of a hit), in a map cleared when it reaches `MAX_PREFIXES`, so a
   * flood of JWT subjects cannot grow it.
   */
  keyPath(partition: string, path: string): string {
    // A miss asks twice in a row for the same request (`fresh`, then `dispatch`): the last key is kept.
    if (path === this.lastPath && partition === this.lastPartition) return this.lastKey;
    let prefix = this.prefixes.get(partition);
    if (prefix === undefined) {
      if (this.prefixes.size >= MAX_PREFIXES) this.prefixes.clear();
      prefix = NodeRouteCache.keyPrefix(partition);
      this.prefixes.set(partition, prefix);
    }
    this.lastPartition = partition;
    this.lastPath = path;
    return (this.lastKey = prefix + path);
  }

  private lastPartition = '';
  private lastPath = '';
  private lastKey = '';

  /**
   * A stored response that undici's interceptor would serve as it is (fresh, no revalidation
   * asked by either side, nothing a shared cache must not reuse), read from the same store with
   * the same key, or null (then `dispatch` goes through the interceptor). It mirrors the
   * interceptor's `handleResult` for the plain case and skips its per-hit stream.
   *
   * `headers` are the request headers the interceptor keys on (the upstream request's). With
   * `varyHeaders: false` the caller has only the client's headers: an entry whose response
   * varies is then not served here (the headers it varies on may be the ones the proxy sets).
   */
  freshEntry(partition: string, origin: string, path: string, headers: Record<string, string | string[]>, varyHeaders = true, now = Date.now()): StoredEntry | null {
    return this.freshEntryAt(this.keyPath(partition, path), origin, headers, varyHeaders, now);
  }

  /**
   * Whether the last `freshEntryAt` looked its key up and found nothing under it (no entry of
   * any method or Vary variant): read by the caller right after the call (`serveCacheHit`),
   * which then records the key on the request's own policy context (`NodeCacheContext`).
   */
  lastKeyEmpty = false;

  /** `freshEntry` for a key the caller built (`keyPrefix(partition) + path`). */
  freshEntryAt(key: string, origin: string, headers: Record<string, string | string[]>, varyHeaders = true, now = Date.now()): StoredEntry | null {
    if (asksTheCache(headers)) {
      this.lastKeyEmpty = false;
      return null;
    }
    const entry = varyHeaders ? this.store.lookup(origin, key, 'GET', headers, now) : this.store.lookupInvariant(origin, key, 'GET', now);
    this.lastKeyEmpty = this.store.lastKeyEmpty;
    if (entry === undefined) return null;
    // The one reuse rule of every transport (./freshness.ts, undici's handleResult); the request asked nothing (asksTheCache).
    if (entry.cacheControlDirectives?.['no-cache'] !== undefined || reuseDecision(entry as unknown as StoredHead, undefined, headers, now).kind !== 'fresh') return null;
    return entry;
  }

  /** `freshEntry` for the relay's `serveStored` (the variant's store is the shared one). */
  fresh(
    _variant: RouteVariant,
    _config: CacheConfig,
    partition: string,
    origin: string,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
  ): FreshEntry | null {
    if (method !== 'GET') return null;
    const now = Date.now();
    const entry = this.freshEntry(partition, origin, path, headers, true, now);
    if (entry === null) return null;
    return {
      statusCode: entry.statusCode,
      statusMessage: entry.statusMessage,
      // The stored body's length: an upstream that sent it chunked is answered with one.
      headers: { ...entry.headers, age: ageOf(entry, now), 'content-length': String(entry.body[0].byteLength) },
      body: entry.body,
    };
  }

  /**
   * Dispatches `opts` through the variant's cache; `partition` separates routes and callers.
   * `probe` (from `newProbe`) is filled in before the response starts (a hit starts it synchronously).
   */
  dispatch(variant: RouteVariant, config: CacheConfig, partition: string, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, probe: CacheProbe): void {
    const probed: ProbedOptions = { ...opts, path: this.keyPath(partition, opts.path), afCacheProbe: probe };
    this.store.probe = probe;
    try {
      this.dispatcherFor(variant, config).dispatch(probed, handler);
    } finally {
      this.store.probe = null;
    }
  }
}

/**
 * What the hit path (`serveCacheHit`) leaves on a request's policy context when its lookup
 * found nothing under the request's key: the key, so the proxy's miss branch neither builds it
 * nor looks it up again. Per request (the context is), so another request's key is never taken.
 */
export interface NodeCacheContext {
  /** The query the context had then (a stage may change `ctx.query`; the path is built from it). */
  readonly query: string;
  /** The cache key path (`keyPrefix(partition) + path`) the hit path found empty. */
  emptyCacheKey?: string;
  /** The upstream origin and the query that key's path was built from (with the route's first target). */
  emptyCacheOrigin?: string;
  emptyCacheQuery?: string;
}

/**
 * The key `ctx.emptyCacheKey` names, when the upstream request goes to the same origin with the
 * same query (its path is then the one the key was built from: the same forward URL of the
 * same match) and asks the cache nothing (a request rule may add such a header): then the
 * request may take the miss path without the interceptor (./node-miss.ts). Null otherwise.
 * The two strings are the same objects when nothing changed them, so comparing them is a
 * pointer compare; comparing the built paths compared their characters (~1k instructions).
 */
export function emptyKeyFor(ctx: NodeCacheContext, origin: string, upstreamHeaders: Record<string, string | string[]>): string | null {
  const key = ctx.emptyCacheKey;
  if (key === undefined || ctx.emptyCacheOrigin !== origin || ctx.emptyCacheQuery !== ctx.query || asksTheCache(upstreamHeaders)) return null;
  return key;
}

/** The `Age` header of a stored response at `now` (seconds, rounded as undici's interceptor does). */
export function ageOf(entry: StoredEntry, now: number): string {
  return String(Math.round((now - entry.cachedAt) / 1000));
}

export function newProbe(realPath: string): CacheProbe {
  return { found: false, upstream: false, realPath };
}

/** The `Cache-Status` outcome once the response starts. */
export function cacheOutcome(config: CacheConfig, method: string, requestCacheControl: string | undefined, probe: CacheProbe | null): CacheOutcome {
  if (probe === null || !config.methods.includes(method)) return 'method';
  if (requestCacheControl !== undefined && /(^|,)\s*no-store\s*(,|$)/i.test(requestCacheControl)) return 'request';
  if (!probe.upstream) return 'hit';
  return probe.found ? 'stale' : 'miss';
}
