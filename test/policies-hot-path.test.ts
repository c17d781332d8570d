/**
 * The laws behind the policies' per-request shortcuts (session 22): the Node SHA-256 equals
 * `createHash`, the rate-limit store keeps an active caller's bucket although it no longer
 * moves it on every take, the route cache's store evicts in write order through its queue
 * (past the queue's compactions), and the prototype-less records stay prototype-less.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCacheStore } from '../src/policies/cache/bounded-store.js';
import { MemoryRouteStore } from '../src/policies/cache/memory-store.js';
import { MemoryRateLimitStore } from '../src/policies/rate-limit/memory-store.js';
import { emptyRecord } from '../src/policies/record.js';
import { nodeSha256 } from '../src/proxy/node-policies.js';

describe('nodeSha256', () => {
  it('is the SHA-256 of the UTF-8 bytes, as createHash gives it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const d = nodeSha256(text);
        expect((typeof d === 'string' ? Buffer.from(d, 'latin1') : Buffer.from(d)).equals(createHash('sha256').update(text).digest())).toBe(true);
      }),
    );
  });
});

describe('MemoryRateLimitStore order', () => {
  it('keeps a bucket taken at least every 60% of maxKeys new keys, and stays within maxKeys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 200 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (maxKeys, gaps) => {
        const store = new MemoryRateLimitStore({ maxKeys });
        // Neither bucket refills within the test, so none is swept as full: only order decides.
        const busy = { capacity: 1_000_000, refillPerMs: 1e-12 };
        const idle = { capacity: 2, refillPerMs: 1e-12 };
        const longest = Math.floor(0.6 * maxKeys);
        let fresh = 0;
        let taken = 0;
        store.takeSync('busy', busy, 0);
        taken++;
        for (const gap of gaps) {
          for (let i = 0; i < gap % (longest + 1); i++) store.takeSync(`k${fresh++}`, idle, 0);
          expect(store.size).toBeLessThanOrEqual(maxKeys);
          // A bucket dropped and made anew would start full again.
          expect(store.takeSync('busy', busy, 0).remaining).toBe(busy.capacity - ++taken);
        }
      }),
    );
  });

  it('still drops the least recently used tenth under a flood of new keys', () => {
    const store = new MemoryRateLimitStore({ maxKeys: 100 });
    const spec = { capacity: 2, refillPerMs: 1e-12 };
    for (let i = 0; i < 100; i++) store.takeSync(`k${i}`, spec, 0);
    store.takeSync('new', spec, 0);
    expect(store.size).toBe(91);
    // k0..k9 went (a new bucket is full again), k10 stayed (drained by one).
    expect(store.takeSync('k0', spec, 0).remaining).toBe(1);
    expect(store.takeSync('k10', spec, 0).remaining).toBe(0);
  });
});

/** Stores a one-byte 200 for GET http://u<path> through the interceptor's write stream, fresh for a minute from `now`. */
async function storeOne(route: ReturnType<BoundedCacheStore['forRoute']>, path: string, headers: Record<string, string | string[]>, now: number): Promise<void> {
  const w = route.createWriteStream({ origin: 'http://u', method: 'GET', path, headers: {} }, {
    statusCode: 200,
    statusMessage: 'OK',
    headers,
    cacheControlDirectives: {},
    cachedAt: now,
    staleAt: now + 60_000,
    deleteAt: now + 60_000,
  } as never)!;
  await new Promise<void>((resolve) => w.end(Buffer.alloc(1), () => resolve()));
}

describe('BoundedCacheStore eviction order', () => {
  it('holds exactly the last maxEntries URLs written, however often each was rewritten', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1_200, maxLength: 3_000 }), async (maxEntries, puts) => {
        const s = new BoundedCacheStore({ maxEntries, maxBytes: 1_000_000 });
        const route = s.forRoute(1_000);
        const model: number[] = [];
        const now = Date.now();
        for (const p of puts) {
          await storeOne(route, `/p${p}`, {}, now);
          const at = model.indexOf(p);
          if (at >= 0) model.splice(at, 1);
          model.push(p);
          if (model.length > maxEntries) model.shift();
        }
        expect(s.stats().entries).toBe(model.length);
        for (let p = 0; p <= 150; p++) expect(s.lookupInvariant('http://u', `/p${p}`, 'GET') !== undefined).toBe(model.includes(p));
      }),
      { numRuns: 25 },
    );
  });
});

describe('BoundedCacheStore stored headers', () => {
  it('keeps every stored header name, value and their order (the record is copied into a fast-mode object)', async () => {
    const name = fc.oneof(fc.constantFrom('content-type', 'date', 'etag', 'x-a', 'constructor', 'toString', '__proto__', '1', '42'), fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/));
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 12 }), fc.array(name, { maxLength: 4 }), async (pairs, deleted) => {
        // As undici hands them over: a record built by assignment, copied, some names deleted.
        const parsed: Record<string, string | string[]> = {};
        for (const [n, v] of pairs) parsed[n] = v;
        const headers: Record<string, string | string[]> = { ...parsed };
        for (const n of deleted) delete headers[n];
        const s = new BoundedCacheStore();
        const route = s.forRoute(1_000);
        const now = Date.now();
        await storeOne(route, '/p', headers, now);
        const stored = s.lookupInvariant('http://u', '/p', 'GET')!.headers;
        expect(Object.getPrototypeOf(stored)).toBe(Object.getPrototypeOf(headers));
        expect(Object.entries(stored)).toEqual(Object.entries(headers));
      }),
    );
  });
});

describe('MemoryRouteStore eviction order', () => {
  it('holds exactly the last maxEntries keys written, however often each was rewritten', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1_200, maxLength: 3_000 }), (maxEntries, puts) => {
        const store = new MemoryRouteStore({ maxEntries, maxBytes: 100_000_000 });
        const head = { statusCode: 200, statusMessage: 'OK', headers: {}, cacheControlDirectives: {}, cachedAt: 0, staleAt: 1e15, deleteAt: 1e15 };
        const model: number[] = [];
        for (const p of puts) {
          store.put(`k${p}`, 'GET', head, [], {});
          const at = model.indexOf(p);
          if (at >= 0) model.splice(at, 1);
          model.push(p);
          if (model.length > maxEntries) model.shift();
        }
        expect(store.stats().entries).toBe(model.length);
        for (let p = 0; p <= 150; p++) expect(store.get(`k${p}`, 'GET', {}, 0) !== undefined).toBe(model.includes(p));
      }),
      { numRuns: 25 },
    );
  });
});

describe('emptyRecord', () => {
  it('holds any name as an own key, with nothing inherited', () => {
    fc.assert(
      fc.property(fc.constantFrom<string>('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ratelimit'), fc.string(), (name, value) => {
        const r = emptyRecord<string>();
        expect(r[name]).toBeUndefined();
        expect(name in r).toBe(false);
        r[name] = value;
        expect(Object.keys(r)).toEqual([name]);
        expect(r[name]).toBe(value);
        const seen: string[] = [];
        for (const k in r) seen.push(k);
        expect(seen).toEqual([name]);
      }),
    );
  });
});
