/**
 * The write order of a route cache's entries, for evicting the oldest first (both stores:
 * ./bounded-store.ts on Node, ./memory-store.ts for fetch runtimes and the attempt loop).
 *
 * Why not a Set's own insertion order: taking the oldest of a Set means iterating from its
 * start, past every slot a deletion left there until V8 rehashes the table, thousands once a
 * store of 10,000 entries is full and turning over (measured: 15 µs per eviction, that is per
 * stored response; this queue: 0.2 µs). Here an entry removed otherwise (replaced, deleted)
 * stays queued until eviction reaches it or a compaction drops it.
 */
export class WriteOrder<T> {
  private queue: T[] = [];
  private head = 0;

  /** `isLive`: whether the store still holds an item (a removed one is skipped and dropped). */
  constructor(private readonly isLive: (item: T) => boolean) {}

  /** Records `item` as the newest; `liveCount` (the store's size after adding it) keeps the queue within twice that (amortized O(1)). */
  push(item: T, liveCount: number): void {
    this.queue.push(item);
    const q = this.queue;
    if (q.length < 1024) return;
    if (q.length - this.head > 2 * liveCount) {
      // Mostly removed items: keep the live ones, in order.
      const kept: T[] = [];
      for (let i = this.head; i < q.length; i++) if (this.isLive(q[i]!)) kept.push(q[i]!);
      this.queue = kept;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  /** Takes the oldest live item off the queue (the caller removes it from the store), or undefined when none is left. */
  shift(): T | undefined {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      if (this.isLive(item)) return item;
    }
    return undefined;
  }
}

/** A route cache's bounds (SPEC 12: `maxEntries`, `maxBytes`). */
export interface CacheBounds {
  maxEntries?: number;
  maxBytes?: number;
}

/**
 * What both route-cache stores keep to hold their bounds: the items held, their total size and
 * their write order. A store adds an item with `add`, takes one out (replaced, deleted,
 * evicted) with `remove`, and `add` hands it the oldest items to take out while a bound is
 * exceeded.
 */
/**
 * What `BoundedItems` holds: an object that says itself whether it is held (set only by the one
 * `BoundedItems` it is added to). A flag on the item rather than a Set of items: a miss of the
 * route cache added, tested and deleted one entry per request in a Set of 10,000 objects
 * (three hash operations and the Set's own table for the GC to mark).
 */
export interface Held {
  held: boolean;
}

export class BoundedItems<T extends Held> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private count = 0;
  private readonly order = new WriteOrder<T>((item) => item.held);
  private bytes = 0;

  constructor(bounds: CacheBounds) {
    this.maxEntries = bounds.maxEntries ?? 10_000;
    this.maxBytes = bounds.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new TypeError(`cache.maxEntries must be a positive integer, not ${String(bounds.maxEntries)}`);
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new TypeError(`cache.maxBytes must be a positive integer, not ${String(bounds.maxBytes)}`);
  }

  /** Entries and bytes held now. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.count, bytes: this.bytes };
  }

  /**
   * Counts `item` (of `size`) in as the newest, then, while a bound is exceeded, calls `evict`
   * with the oldest item held: `evict` unlinks it from the store and calls `remove`.
   */
  add(item: T, size: number, evict: (oldest: T) => void): void {
    // Both stores add a new object per stored response, so an item is added once; were one added
    // again, it stays counted once (no throw on a response's path).
    if (item.held) return;
    item.held = true;
    this.count++;
    this.order.push(item, this.count);
    this.bytes += size;
    while (this.count > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.order.shift();
      if (oldest === undefined) break;
      evict(oldest);
    }
  }

  /** Counts `item` out; false if it was not held. */
  remove(item: T, size: number): boolean {
    if (!item.held) return false;
    item.held = false;
    this.count--;
    this.bytes -= size;
    return true;
  }
}
