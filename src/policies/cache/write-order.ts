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
