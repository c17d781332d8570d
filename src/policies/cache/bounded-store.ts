/**
 * The route cache's store on Node: undici's `MemoryCacheStore` (RFC 9111 entries, Vary
 * matching) under a strict bound on entries and bytes. The bound is kept here, in least
 * recently written order, because undici 7's own eviction halves each URL's list of entries,
 * and `splice(0, 1 / 2)` removes nothing from a one-entry list: 10,000 distinct URLs would
 * otherwise stay forever. Each route wraps it (`forRoute`) with its own `maxEntrySize`.
 */
import { Writable } from 'node:stream';
import { cacheStores, type interceptors } from 'undici';

type CacheStore = NonNullable<NonNullable<Parameters<typeof interceptors.cache>[0]>['store']>;
type CacheKey = Parameters<CacheStore['get']>[0];
type CacheValue = Parameters<CacheStore['createWriteStream']>[1];

export interface RouteCacheOptions {
  /** Most responses held (distinct URL and caller). Default 10,000. */
  maxEntries?: number;
  /** Most body bytes held. Default 64 MB. */
  maxBytes?: number;
}

/** Called with whether the store had an entry for the key just looked up (`Cache-Status`). */
export type LookupProbe = { found: boolean };

const LARGE = 2 ** 31;

export class BoundedCacheStore {
  private readonly inner = new cacheStores.MemoryCacheStore({ maxCount: LARGE, maxSize: Number.MAX_SAFE_INTEGER, maxEntrySize: LARGE });
  /** `origin:path` → the key and its bytes, least recently written first. */
  private readonly written = new Map<string, { key: CacheKey; bytes: number }>();
  private bytes = 0;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Set around a synchronous lookup so the route can tell a hit or a revalidation from a miss. */
  probe: LookupProbe | null = null;

  constructor(options: RouteCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new TypeError(`cache.maxEntries must be a positive integer, not ${String(options.maxEntries)}`);
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new TypeError(`cache.maxBytes must be a positive integer, not ${String(options.maxBytes)}`);
  }

  /** Entries (URLs) and body bytes held now. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.written.size, bytes: this.bytes };
  }

  private record(key: CacheKey, bytes: number): void {
    const id = `${key.origin}:${key.path}`;
    const prev = this.written.get(id);
    if (prev !== undefined) {
      this.bytes -= prev.bytes;
      this.written.delete(id);
    }
    this.written.set(id, { key, bytes });
    this.bytes += bytes;
    for (const [oldId, entry] of this.written) {
      if (this.written.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.written.delete(oldId);
      this.bytes -= entry.bytes;
      void this.inner.delete(entry.key);
    }
  }

  private forget(key: CacheKey): void {
    const id = `${key.origin}:${key.path}`;
    const prev = this.written.get(id);
    if (prev !== undefined) {
      this.bytes -= prev.bytes;
      this.written.delete(id);
    }
  }

  /** The store one route's interceptor uses: lookups reported to `probe`, entries over `maxEntrySize` dropped. */
  forRoute(maxEntrySize: number): CacheStore {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the store object's methods and the Writable's callbacks have their own `this`
    const self = this;
    const limit = Math.min(maxEntrySize, this.maxBytes);
    return {
      get(key: CacheKey) {
        const result = self.inner.get(key);
        if (self.probe !== null) self.probe.found = result !== undefined;
        return result;
      },
      createWriteStream(key: CacheKey, value: CacheValue) {
        const sink = self.inner.createWriteStream(key, value) as Writable;
        let size = 0;
        let dropped = false;
        return new Writable({
          write(chunk: Buffer, _encoding, callback) {
            size += chunk.byteLength;
            if (size > limit) {
              // Too large for this route: not stored (the response still streams to the client).
              dropped = true;
              sink.destroy();
              callback();
              return;
            }
            if (dropped) callback();
            else sink.write(chunk, callback);
          },
          final(callback) {
            if (dropped) return callback();
            sink.end(() => {
              self.record(key, size);
              callback();
            });
          },
          destroy(err, callback) {
            if (!sink.destroyed) sink.destroy();
            callback(err);
          },
        });
      },
      delete(key: CacheKey) {
        self.forget(key);
        return self.inner.delete(key);
      },
    };
  }
}
