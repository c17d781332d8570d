/**
 * The route cache's store on Node: the RFC 9111 entries undici's cache interceptor decides to
 * keep (freshness, Vary and revalidation stay the interceptor's), held in one Map under a
 * strict bound on entries and body bytes, least recently written evicted first.
 *
 * Why not undici's `MemoryCacheStore`: its eviction halves each URL's list of entries, and
 * `splice(0, 1 / 2)` removes nothing from a one-entry list (10,000 distinct URLs would stay
 * forever), so a bound had to be kept beside it, with a second Writable wrapped around its
 * Writable on every store. Holding the entries here costs one light sink per stored response
 * and lets the hit fast path (../../proxy/node-policies.ts) keep, per entry, the response head
 * it writes, built once instead of per hit. Lookups mirror `MemoryCacheStore.get` exactly
 * (same key, method, `deleteAt` and Vary matching), so the interceptor sees the same store.
 */
import type { interceptors } from 'undici';
import { BoundedItems } from './write-order.js';

type CacheStore = NonNullable<NonNullable<Parameters<typeof interceptors.cache>[0]>['store']>;
type CacheKey = Parameters<CacheStore['get']>[0];
type CacheValue = Parameters<CacheStore['createWriteStream']>[1];

export interface RouteCacheOptions {
  /** Most responses held (distinct URL, caller and Vary variant). Default 10,000. */
  maxEntries?: number;
  /** Most body bytes held. Default 64 MB. */
  maxBytes?: number;
}

/** Called with whether the store had an entry for the key just looked up (`Cache-Status`). */
export type LookupProbe = { found: boolean };

type HeaderValue = string | string[];

/** One stored response: undici's `GetResult` fields, plus what the store and the hit path keep. */
export interface StoredEntry {
  readonly method: string;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: Record<string, HeaderValue>;
  /** The body, copied once into one buffer when stored (an array, as undici's `GetResult` has it). */
  readonly body: readonly [Buffer];
  readonly vary?: Record<string, HeaderValue | null>;
  readonly etag?: string;
  readonly cacheControlDirectives?: Record<string, unknown>;
  readonly cachedAt: number;
  readonly staleAt: number;
  readonly deleteAt: number;
  /** The origin (outer Map key) and path (inner Map key) it is listed under. */
  readonly origin: string;
  readonly path: string;
  readonly size: number;
  /** Whatever the hit path derives from the entry once (its prepared head); the store never reads it. */
  prepared?: unknown;
  /** Whether the store holds it (`BoundedItems`). */
  held: boolean;
}

/** What is stored of a response besides its body (undici's `CacheValue`). */
export interface EntryHead {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: Record<string, HeaderValue>;
  readonly vary?: Record<string, HeaderValue | null> | undefined;
  readonly etag?: string | undefined;
  /** undici's parsed directives, or ours (./directives.ts: the same names and value types). */
  readonly cacheControlDirectives?: object | undefined;
  readonly cachedAt: number;
  readonly staleAt: number;
  readonly deleteAt: number;
}

function headerValueEquals(lhs: HeaderValue | null | undefined, rhs: HeaderValue | null | undefined): boolean {
  if (lhs == null || rhs == null) return lhs == null && rhs == null;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (lhs[i] !== rhs[i]) return false;
    return true;
  }
  return lhs === rhs;
}

function varyMatches(headers: Record<string, HeaderValue | undefined> | undefined, entry: StoredEntry): boolean {
  const vary = entry.vary;
  if (vary == null) return true;
  for (const name in vary) if (Object.hasOwn(vary, name) && !headerValueEquals(headers?.[name], vary[name])) return false;
  return true;
}

function findEntry(list: readonly StoredEntry[], method: string, headers: Record<string, HeaderValue | undefined> | undefined, now: number): StoredEntry | undefined {
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.deleteAt > now && e.method === method && varyMatches(headers, e)) return e;
  }
  return undefined;
}

/**
 * A stored response's headers as a fast-mode object: undici's interceptor hands over its copy
 * with `connection` and its tokens deleted, which turns the object into a dictionary (measured:
 * ~430 bytes more per entry, a third of what a stored response keeps on the heap, marked by
 * every major GC while 10,000 entries are held). Same names, values and order.
 */
function compact(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const name in headers) {
    // Assigning `__proto__` would set the prototype instead: such a record is kept as it is.
    if (name === '__proto__' || !Object.hasOwn(headers, name)) return headers;
    out[name] = headers[name]!;
  }
  return out;
}

const EMPTY = Buffer.alloc(0);
const RESOLVED = Promise.resolve();

/**
 * What `createWriteStream` returns: the interceptor writes the body, ends or destroys it, and
 * listens for 'drain', 'error' and 'close'. Memory needs no backpressure, so `write` always
 * accepts and none of those events is ever due: listeners are not even kept (three
 * `addListener` calls per stored response were a visible share of a miss). The entry goes
 * into the store once `end` is called.
 */
export class EntrySink {
  private chunks: Buffer[] | null = [];
  private size = 0;
  destroyed = false;

  constructor(
    private readonly commit: (body: Buffer, size: number) => void,
    private readonly limit: number,
  ) {}

  /** No event is ever emitted (see above): a listener is accepted and dropped. */
  on(): this {
    return this;
  }

  once(): this {
    return this;
  }

  removeListener(): this {
    return this;
  }

  write(chunk: Buffer | string, encoding?: BufferEncoding | (() => void), callback?: () => void): boolean {
    if (this.chunks !== null) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
      this.size += buf.byteLength;
      // Too large for this route: not stored (the response still streams to the client).
      if (this.size > this.limit) this.chunks = null;
      else this.chunks.push(buf);
    }
    (typeof encoding === 'function' ? encoding : callback)?.();
    return true;
  }

  end(chunk?: Buffer | string | (() => void), encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    let done = callback;
    if (typeof chunk === 'function') done = chunk;
    else {
      if (typeof encoding === 'function') done = encoding;
      if (chunk !== undefined && chunk !== null) this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    const chunks = this.chunks;
    this.chunks = null;
    if (chunks === null || this.destroyed) {
      done?.();
      return this;
    }
    // The interceptor ends the sink just before it ends the client's response: storing waits
    // for that (a microtask), so the response goes out first. One copy when stored, none per
    // hit; the copy also frees the socket buffer a chunk may be a view of. A resolved
    // promise's reaction rather than `queueMicrotask`, which on Node wraps each callback in an
    // AsyncResource (created, entered and destroyed per stored response).
    void RESOLVED.then(() => {
      this.commit(chunks.length === 0 ? EMPTY : Buffer.concat(chunks, this.size), this.size);
      done?.();
    });
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.chunks = null;
    return this;
  }
}

export class BoundedCacheStore {
  /**
   * origin → path → its entries (one per method and Vary variant). Two levels, not one
   * `origin:path` key: a route's origin string is the same object request after request (its
   * hash kept), so a miss hashes only its path (~38 characters) instead of a new ~62-character
   * concatenation (session 26, part 2).
   */
  private readonly entries = new Map<string, Map<string, StoredEntry[]>>();
  /** Every entry held, within the bounds. */
  private readonly held: BoundedItems<StoredEntry>;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Set around a synchronous lookup so the route can tell a hit or a revalidation from a miss. */
  probe: LookupProbe | null = null;
  /** Eviction's unlink (one function for the store's life, not one per insert). */
  private readonly evict = (entry: StoredEntry): void => this.remove(entry);

  constructor(options: RouteCacheOptions = {}) {
    this.held = new BoundedItems(options);
    this.maxEntries = this.held.maxEntries;
    this.maxBytes = this.held.maxBytes;
  }

  /** Entries (responses) and body bytes held now. */
  stats(): { entries: number; bytes: number } {
    return this.held.stats();
  }

  private listOf(origin: string, path: string): StoredEntry[] | undefined {
    return this.entries.get(origin)?.get(path);
  }

  /**
   * Whether the last `lookup` / `lookupInvariant` found nothing at all under its key (no entry
   * of any method or variant): then undici's interceptor would only forward and store, which
   * the miss path does without it (./node-miss.ts).
   */
  lastKeyEmpty = false;

  /** The entry a request would be served from (undici's lookup rules), or undefined. */
  lookup(origin: string, path: string, method: string, headers: Record<string, HeaderValue | undefined> | undefined, now = Date.now()): StoredEntry | undefined {
    const list = this.listOf(origin, path);
    this.lastKeyEmpty = list === undefined;
    return list === undefined ? undefined : findEntry(list, method, headers, now);
  }

  /**
   * The entry a request would be served from when its headers cannot matter: the first live
   * entry of `method` under the key, provided no entry of that method varies (one that does
   * could be the interceptor's choice for some request headers); undefined otherwise.
   */
  lookupInvariant(origin: string, path: string, method: string, now = Date.now()): StoredEntry | undefined {
    const list = this.listOf(origin, path);
    this.lastKeyEmpty = list === undefined;
    if (list === undefined) return undefined;
    let found: StoredEntry | undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.method !== method) continue;
      if (e.vary != null) return undefined;
      if (found === undefined && e.deleteAt > now) found = e;
    }
    return found;
  }

  private remove(entry: StoredEntry): void {
    if (!this.held.remove(entry, entry.size)) return;
    const paths = this.entries.get(entry.origin);
    const list = paths?.get(entry.path);
    if (paths === undefined || list === undefined) return;
    // Most URLs hold one entry (an evicted miss's): no search, no splice.
    if (list.length === 1 && list[0] === entry) {
      this.dropPath(paths, entry);
      return;
    }
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.dropPath(paths, entry);
  }

  private dropPath(paths: Map<string, StoredEntry[]>, entry: StoredEntry): void {
    paths.delete(entry.path);
    if (paths.size === 0) this.entries.delete(entry.origin);
  }

  private insert(entry: StoredEntry, headers: Record<string, HeaderValue | undefined> | undefined): void {
    let paths = this.entries.get(entry.origin);
    if (paths === undefined) this.entries.set(entry.origin, (paths = new Map<string, StoredEntry[]>()));
    const list = paths.get(entry.path);
    if (list === undefined) {
      // Most URLs hold one entry: an array of one (a push into `[]` reserves 17 slots, kept as
      // long as the entry, 10,000 times over in a full store the GC marks again and again).
      paths.set(entry.path, [entry]);
    } else {
      // The same request's earlier response is replaced (as undici's store does).
      const previous = findEntry(list, entry.method, headers, Date.now());
      if (previous !== undefined) this.remove(previous);
      // Removing it may have dropped the path's list (and the origin's map) altogether.
      const now = this.entries.get(entry.origin);
      if (now === undefined) this.entries.set(entry.origin, new Map([[entry.path, [entry]]]));
      else if (!now.has(entry.path)) now.set(entry.path, [entry]);
      else list.push(entry);
    }
    this.held.add(entry, entry.size, this.evict);
  }

  /**
   * A sink whose body, once ended, is stored with `head` under the URL (at most `limit` bytes):
   * what the interceptor's `createWriteStream` returns.
   */
  writer(
    origin: string,
    path: string,
    method: string,
    requestHeaders: Record<string, HeaderValue | undefined> | undefined,
    head: EntryHead,
    limit: number,
    /**
     * `head.headers` is already a fresh fast-mode object nothing else holds (./freshness.ts
     * `storableHead` builds one per response, for ./node-miss.ts): kept as it is, not copied.
     */
    compactHeaders = false,
  ): EntrySink {
    // On the miss path `path` is the very string the hit path's lookup hashed (the key left on
    // the request's context, ./node-miss.ts): V8 keeps a string's hash, so the write hashes nothing again.
    return new EntrySink((body, size) => {
      this.insert(
        {
          method,
          statusCode: head.statusCode,
          statusMessage: head.statusMessage,
          headers: compactHeaders ? head.headers : compact(head.headers),
          body: [body],
          // Every field present, undefined or not: one object shape for every entry (three
          // conditional spreads made a new object each and gave entries several shapes).
          vary: head.vary,
          etag: head.etag,
          cacheControlDirectives: head.cacheControlDirectives as Record<string, unknown> | undefined,
          prepared: undefined,
          held: false,
          cachedAt: head.cachedAt,
          staleAt: head.staleAt,
          deleteAt: head.deleteAt,
          origin,
          path,
          size,
        },
        requestHeaders,
      );
    }, limit);
  }

  /** The store one route's interceptor uses: lookups reported to `probe`, entries over `maxEntrySize` dropped. */
  forRoute(maxEntrySize: number): CacheStore {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the store object's methods have their own `this`
    const self = this;
    const limit = Math.min(maxEntrySize, this.maxBytes);
    return {
      get(key: CacheKey) {
        const result = self.lookup(key.origin, key.path, key.method, key.headers);
        if (self.probe !== null) self.probe.found = result !== undefined;
        return result as ReturnType<CacheStore['get']>;
      },
      createWriteStream(key: CacheKey, value: CacheValue) {
        return self.writer(key.origin, key.path, key.method, key.headers, value as EntryHead, limit) as unknown as ReturnType<CacheStore['createWriteStream']>;
      },
      delete(key: CacheKey) {
        const list = self.listOf(key.origin, key.path);
        if (list !== undefined) for (const e of [...list]) self.remove(e);
      },
    };
  }
}
