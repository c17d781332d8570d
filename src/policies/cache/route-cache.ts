/**
 * The route cache as a step around a forward, transport-neutral (the fetch handler, and the
 * Node proxy's attempt loop): `lookupCache` before the upstream (a hit answers; a stale entry
 * makes the request conditional), `completeCache` on the final answer (a 304 to our
 * revalidation serves the stored body; a storable response is collected into the store). The
 * decisions are ./freshness.ts; the store is ./memory-store.ts. Pure: no Node built-ins.
 */
import type { HeaderRecord } from '../../pipeline/headers.js';
import type { CacheConfig } from '../../table/route.js';
import { requestDirectives } from './directives.js';
import { reuseDecision, revalidated, servedHeaders, storableHead, type StoredHead } from './freshness.js';
import type { MemoryRouteStore, StoredEntry } from './memory-store.js';
import type { CacheOutcome } from './status.js';

/** One request as the cache sees it. */
export interface CacheRequest {
  readonly store: MemoryRouteStore;
  readonly config: CacheConfig;
  /** From `cacheKey`: the same for every target of the route. */
  readonly key: string;
  readonly method: string;
  /** The request as it goes upstream, policies applied (lower-case names): Vary and Authorization are judged on it. */
  readonly headers: HeaderRecord;
}

/**
 * The cache key: the handler's scope (a function id in the runtime), the partition (route, and
 * the caller on a route with auth) and the request target the client asked for, not a target's
 * URL, so every target of a route shares its entries.
 */
export function cacheKey(scope: string, partition: string, target: string): string {
  return `${scope}\n${partition}\n${target}`;
}

export type Lookup =
  | { readonly kind: 'bypass'; readonly outcome: 'method' | 'request' }
  | { readonly kind: 'hit'; readonly entry: StoredEntry; readonly headers: HeaderRecord }
  | { readonly kind: 'forward'; readonly outcome: 'miss' | 'stale'; readonly entry?: StoredEntry; readonly conditional?: Readonly<Record<string, string>> };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Before the upstream: a hit, a forward (conditional when a stored entry is stale), or a bypass. */
export function lookupCache(req: CacheRequest, now: number): Lookup {
  if (!req.config.methods.includes(req.method)) return { kind: 'bypass', outcome: 'method' };
  const directives = requestDirectives(req.headers['cache-control'], req.headers['pragma']);
  if (directives?.['no-store'] === true) return { kind: 'bypass', outcome: 'request' };
  const entry = req.store.get(req.key, req.method, req.headers, now);
  if (entry === undefined) return { kind: 'forward', outcome: 'miss' };
  const reuse = reuseDecision(entry, directives, req.headers, now);
  if (reuse.kind === 'fresh') return { kind: 'hit', entry, headers: servedHeaders(entry, now) };
  if (reuse.kind === 'drop') {
    req.store.delete(req.key);
    return { kind: 'forward', outcome: 'miss' };
  }
  return { kind: 'forward', outcome: 'stale', entry, conditional: reuse.headers };
}

/** What to do with the final answer. */
export type Completion =
  /** Our revalidation got a 304: answer with the stored entry (its body) and these headers. */
  | { readonly kind: 'serve-stored'; readonly entry: StoredEntry; readonly headers: HeaderRecord }
  /** The 304 cannot be used (another ETag, or it forbids reuse): forward again without our conditions. */
  | { readonly kind: 'refetch' }
  /** Relay the answer and collect its body into the store. */
  | { readonly kind: 'store'; readonly collector: BodyCollector }
  /** Relay the answer as it is. */
  | { readonly kind: 'pass' };

/** After the upstream (the final answer only: never a failed attempt's). */
export function completeCache(req: CacheRequest, lookup: Lookup, status: number, statusText: string, headers: HeaderRecord, now: number): Completion {
  if (lookup.kind === 'bypass') {
    // An unsafe request that succeeded changed the resource: forget what is stored for it (RFC 9111 section 4.4).
    if (!SAFE.has(req.method) && status >= 200 && status < 400) req.store.delete(req.key);
    return { kind: 'pass' };
  }
  if (lookup.kind !== 'forward') return { kind: 'pass' };
  const ttl = req.config.ttl;
  if (status === 304 && lookup.entry !== undefined) {
    const r = revalidated(lookup.entry, headers, req.headers, ttl, now);
    if (!r.reuse) {
      req.store.delete(req.key);
      return { kind: 'refetch' };
    }
    if (r.head !== null) req.store.put(req.key, req.method, r.head, lookup.entry.body, req.headers);
    else if (headers['cache-control'] !== undefined) req.store.delete(req.key);
    const entry: StoredEntry = r.head !== null ? { ...lookup.entry, ...r.head } : lookup.entry;
    return { kind: 'serve-stored', entry, headers: servedHeaders(entry, now) };
  }
  const head = storableHead({ method: req.method, status, statusText, headers, requestHeaders: req.headers, ttl, now });
  if (head === null) return { kind: 'pass' };
  return { kind: 'store', collector: new BodyCollector(req, head, Math.min(req.config.maxEntrySize, req.store.maxBytes)) };
}

/** Collects a relayed body; stores it when it ends complete and within the route's `maxEntrySize`. */
export class BodyCollector {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private dropped = false;

  constructor(
    private readonly req: CacheRequest,
    private readonly head: StoredHead,
    private readonly limit: number,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.dropped) return;
    this.size += chunk.byteLength;
    // Too large for this route: not stored (the response still streams to the client).
    if (this.size > this.limit) {
      this.dropped = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  /** The body ended cleanly. */
  end(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.req.store.put(this.req.key, this.req.method, this.head, this.chunks, this.req.headers);
  }

  /** The body failed or the client left: nothing is stored. */
  abort(): void {
    this.dropped = true;
    this.chunks.length = 0;
  }
}

/** The `Cache-Status` outcome of a lookup and its completion. */
export function outcomeOf(lookup: Lookup, completion?: Completion): CacheOutcome {
  if (lookup.kind === 'bypass') return lookup.outcome;
  if (lookup.kind === 'hit') return 'hit';
  if (completion?.kind === 'serve-stored') return 'stale';
  return lookup.outcome;
}
