/**
 * The portable route cache's store: stored responses in memory under a strict bound on entries
 * and bytes, the oldest written evicted first. Pure: no Node built-ins (a fetch runtime, a
 * sandbox, and the Node proxy's attempt loop use it). Entries are keyed by the cache key (the
 * partition, method and request target) and, under one key, by their Vary fields.
 */
import type { HeaderRecord } from '../../pipeline/headers.js';
import { varyMatches, type StoredHead } from './freshness.js';
import { BoundedItems } from './write-order.js';

/** Bounds of a route cache store, shared by every cached route of a handler. */
export interface RouteCacheBounds {
  /** Most responses held (distinct URL, caller and Vary). Default 10,000. */
  maxEntries?: number;
  /** Most bytes held: bodies plus an estimate of headers. Default 64 MB. */
  maxBytes?: number;
}

export interface StoredEntry extends StoredHead {
  readonly body: readonly Uint8Array[];
  /** Body bytes plus header bytes: what the bound counts. */
  readonly size: number;
}

interface Slot {
  readonly key: string;
  readonly method: string;
  readonly entry: StoredEntry;
  /** Whether the store holds it (`BoundedItems`). */
  held: boolean;
}

/** Most entries under one key (its Vary variants and methods): a lookup scans them. */
const MAX_VARIANTS = 32;

function headerBytes(headers: HeaderRecord): number {
  let n = 0;
  for (const name in headers) {
    const v = headers[name]!;
    if (typeof v === 'string') n += name.length + v.length + 4;
    else for (const x of v) n += name.length + x.length + 4;
  }
  return n;
}

export class MemoryRouteStore {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly byKey = new Map<string, Slot[]>();
  /** Every slot held, within the bounds. */
  private readonly held: BoundedItems<Slot>;
  /** Eviction's unlink (one function for the store's life, not one per put). */
  private readonly evict = (oldest: Slot): void => {
    const list = this.byKey.get(oldest.key)!;
    this.unlink(oldest, list, list.indexOf(oldest));
  };

  constructor(bounds: RouteCacheBounds = {}) {
    this.held = new BoundedItems(bounds);
    this.maxEntries = this.held.maxEntries;
    this.maxBytes = this.held.maxBytes;
  }

  /** Entries and bytes held now. */
  stats(): { entries: number; bytes: number } {
    return this.held.stats();
  }

  /** The live entry for `key` and `method` whose Vary fields match `requestHeaders`. */
  get(key: string, method: string, requestHeaders: HeaderRecord, now: number): StoredEntry | undefined {
    const slots = this.byKey.get(key);
    if (slots === undefined) return undefined;
    for (const slot of slots) if (slot.method === method && slot.entry.deleteAt > now && varyMatches(slot.entry, requestHeaders)) return slot.entry;
    return undefined;
  }

  /** Size of an entry with this head and body (the bound's unit). */
  static sizeOf(head: StoredHead, bodyBytes: number): number {
    return bodyBytes + headerBytes(head.headers) + 64;
  }

  /** Stores `head` and `body` under `key` and `method`, replacing the entry with the same Vary fields; evicts the oldest beyond the bounds. */
  put(key: string, method: string, head: StoredHead, body: readonly Uint8Array[], requestHeaders: HeaderRecord): void {
    let bodyBytes = 0;
    for (const c of body) bodyBytes += c.byteLength;
    const entry: StoredEntry = { ...head, body, size: MemoryRouteStore.sizeOf(head, bodyBytes) };
    if (entry.size > this.maxBytes) return;
    let slots = this.byKey.get(key);
    if (slots === undefined) this.byKey.set(key, (slots = []));
    const at = slots.findIndex((s) => s.method === method && varyMatches(s.entry, requestHeaders));
    if (at !== -1) this.unlink(slots[at]!, slots, at);
    // Vary on a header the client picks freely must not grow one key's list without end: its oldest goes.
    if (slots.length >= MAX_VARIANTS) this.unlink(slots[0]!, slots, 0);
    const slot: Slot = { key, method, entry, held: false };
    // Unlinking the key's last slot above dropped the (now empty) list from the map.
    this.byKey.set(key, slots);
    slots.push(slot);
    this.held.add(slot, entry.size, this.evict);
  }

  /** Forgets every entry under `key`, any method (an unsafe request changed the resource, or an entry may not be reused). */
  delete(key: string): void {
    const slots = this.byKey.get(key);
    if (slots === undefined) return;
    for (const s of slots) this.held.remove(s, s.entry.size);
    this.byKey.delete(key);
  }

  private unlink(slot: Slot, slots: Slot[], at: number): void {
    slots.splice(at, 1);
    if (slots.length === 0) this.byKey.delete(slot.key);
    this.held.remove(slot, slot.entry.size);
  }
}
