/**
 * The route cache on Node (SPEC 12 `cache`): undici's cache interceptor (RFC 9111: freshness,
 * Vary, ETag/Last-Modified revalidation, `no-store`, `private`, Set-Cookie and Authorization
 * rules of a shared cache) composed over the proxy's Agent, one interceptor per cached variant
 * (its `ttl` is the interceptor's `cacheByDefault`, which applies only to responses without
 * freshness information), all on one bounded store.
 *
 * Per-caller keys: the interceptor keys on origin and path, so the route and, on a route with
 * `auth`, the caller's identity are prefixed to the path it sees; an interceptor below it puts
 * the real path back before the request leaves. That interceptor also records that the request
 * went upstream, which with the store's lookup probe gives `Cache-Status`.
 */
import { interceptors, type Dispatcher } from 'undici';
import type { CacheConfig, RouteVariant } from '../../table/route.js';
import type { BoundedCacheStore } from './bounded-store.js';
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
  const rest: ProbedOptions = { ...opts, path: probe.realPath };
  delete rest.afCacheProbe;
  return dispatch(rest, handler);
};

export class NodeRouteCache {
  private readonly dispatchers = new WeakMap<RouteVariant, Dispatcher>();

  constructor(
    private readonly agent: Dispatcher,
    readonly store: BoundedCacheStore,
  ) {}

  private dispatcherFor(variant: RouteVariant, config: CacheConfig): Dispatcher {
    let d = this.dispatchers.get(variant);
    if (d === undefined) {
      const cache = interceptors.cache({
        store: this.store.forRoute(config.maxEntrySize),
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

  /**
   * Dispatches `opts` through the variant's cache; `partition` separates routes and callers.
   * `probe` (from `newProbe`) is filled in before the response starts (a hit starts it synchronously).
   */
  dispatch(variant: RouteVariant, config: CacheConfig, partition: string, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, probe: CacheProbe): void {
    const probed: ProbedOptions = { ...opts, path: `/~${encodeURIComponent(partition)}${opts.path}`, afCacheProbe: probe };
    this.store.probe = probe;
    try {
      this.dispatcherFor(variant, config).dispatch(probed, handler);
    } finally {
      this.store.probe = null;
    }
  }
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
