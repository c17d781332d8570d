/**
 * The in-process `RateLimitStore` (the default): buckets in a Map, bounded. A bucket that has
 * refilled completely is the same as one never seen, so dropping it loses nothing: when the map
 * is full, full buckets are swept first; if that frees too little (many callers active at once,
 * or a flood of distinct keys), the oldest tenth in Map order goes, so memory stays bounded
 * and each insertion costs amortized O(1). Map order is least recently used first to within a
 * quarter of the bound (see `Entry.stamp`), so the buckets of active callers are not the ones dropped.
 */
import { takeTokens, tokensAt, type BucketState } from './bucket.js';
import type { BucketSpec, RateLimitStore, TakeResult } from './store.js';

export interface MemoryRateLimitStoreOptions {
  /** Most buckets held at once. Default 100,000 (a few MB). */
  maxKeys?: number;
}

interface Entry extends BucketState {
  spec: BucketSpec;
  /**
   * The store's insertion count when the bucket was last put at the Map's recent end. At most
   * `inserted - stamp` buckets come after it; a take moves it only once that exceeds a quarter
   * of `maxKeys`, so a bucket taken since the last ~65% of `maxKeys` insertions is still ahead
   * of the oldest tenth that eviction drops (strict LRU order would keep the last 90%), and
   * most takes leave the Map alone instead of a delete and a set per request.
   */
  stamp: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Entry>();
  private readonly maxKeys: number;
  /** Buckets put at the Map's recent end so far (new or moved there). */
  private inserted = 0;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    const max = options.maxKeys ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`MemoryRateLimitStore: maxKeys must be a positive integer, not ${String(options.maxKeys)}`);
    this.maxKeys = max;
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  take(key: string, bucket: BucketSpec, now: number, cost = 1): Promise<TakeResult> {
    return Promise.resolve(this.takeSync(key, bucket, now, cost));
  }

  /** The same as `take`, without a promise (the pipeline's fast path). */
  takeSync(key: string, bucket: BucketSpec, now: number, cost = 1): TakeResult {
    let entry = this.buckets.get(key);
    if (entry === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      entry = { tokens: bucket.capacity, updated: now, spec: bucket, stamp: this.inserted++ };
      this.buckets.set(key, entry);
    } else {
      if (this.inserted - entry.stamp > this.maxKeys >>> 2) {
        // Moved to the recent end once a quarter of the bound was inserted after it (see `stamp`).
        this.buckets.delete(key);
        entry.stamp = this.inserted++;
        this.buckets.set(key, entry);
      }
      if (entry.spec.capacity !== bucket.capacity || entry.spec.refillPerMs !== bucket.refillPerMs) {
        // The route's limit changed (a table reload): keep the bucket's level, within the new capacity.
        entry.tokens = Math.min(bucket.capacity, tokensAt(entry, entry.spec, now));
        entry.updated = now;
        entry.spec = bucket;
      }
    }
    return takeTokens(entry, bucket, now, cost);
  }

  private evict(now: number): void {
    const target = this.maxKeys - Math.max(1, Math.floor(this.maxKeys / 10));
    for (const [key, entry] of this.buckets) {
      if (tokensAt(entry, entry.spec, now) >= entry.spec.capacity) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** What `createMemoryRateLimitStore` returns: the store contract, plus how many buckets it holds. */
export interface MemoryRateLimitStoreHandle extends RateLimitStore {
  readonly size: number;
}

/** The in-process store (the default), e.g. to share one between a proxy and a runtime or to bound it differently. */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStoreHandle {
  return new MemoryRateLimitStore(options);
}
