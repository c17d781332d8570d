/**
 * The portable route cache's store and decisions, as laws: the store never holds more than its
 * bounds whatever is written, the newest write under a key is what a lookup finds, one key's
 * Vary variants are capped; `Cache-Control` parsing keeps the most restrictive lifetime; a
 * stored head is fresh exactly until its lifetime ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasInvalidDirective, parseCacheControl } from '../src/policies/cache/directives.js';
import { reuseDecision, storableHead, type StoredHead } from '../src/policies/cache/freshness.js';
import { MemoryRouteStore } from '../src/policies/cache/memory-store.js';

const head = (lang: string | null): StoredHead => ({
  statusCode: 200,
  statusMessage: 'OK',
  headers: { 'content-type': 'text/plain' },
  ...(lang !== null ? { vary: { 'accept-language': lang } } : {}),
  cacheControlDirectives: {},
  cachedAt: 0,
  staleAt: Number.MAX_SAFE_INTEGER,
  deleteAt: Number.MAX_SAFE_INTEGER,
});

const op = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    key: fc.integer({ min: 0, max: 40 }),
    lang: fc.option(fc.constantFrom('en', 'fr', 'de')),
    size: fc.integer({ min: 0, max: 3_000 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
);

describe('MemoryRouteStore', () => {
  it('stays within maxEntries and maxBytes, and finds the newest write, for any sequence of writes and deletes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 500, max: 20_000 }), fc.array(op, { maxLength: 200 }), (maxEntries, maxBytes, ops) => {
        const store = new MemoryRouteStore({ maxEntries, maxBytes });
        for (const o of ops) {
          const key = `k${o.key}`;
          if (o.kind === 'delete') {
            store.delete(key);
            expect(store.get(key, 'GET', {}, 1)).toBeUndefined();
          } else {
            const req: Record<string, string> = o.lang !== null ? { 'accept-language': o.lang } : {};
            const body = new Uint8Array(o.size);
            store.put(key, 'GET', head(o.lang), [body], req);
            const fits = MemoryRouteStore.sizeOf(head(o.lang), o.size) <= maxBytes;
            const found = store.get(key, 'GET', req, 1);
            if (fits) expect(found?.body[0]).toBe(body);
            else expect(found?.body[0]).not.toBe(body);
          }
          const s = store.stats();
          expect(s.entries).toBeLessThanOrEqual(maxEntries);
          expect(s.bytes).toBeLessThanOrEqual(maxBytes);
          expect(s.bytes).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('caps the Vary variants of one key (a header the client picks freely cannot grow it without end)', () => {
    const store = new MemoryRouteStore();
    for (let i = 0; i < 1_000; i++) store.put('k', 'GET', { ...head(null), vary: { 'x-any': String(i) } }, [], { 'x-any': String(i) });
    expect(store.stats().entries).toBe(32);
    expect(store.get('k', 'GET', { 'x-any': '999' }, 1)).toBeDefined();
    expect(store.get('k', 'GET', { 'x-any': '0' }, 1)).toBeUndefined();
  });

  it('refuses bad bounds with a clear error', () => {
    expect(() => new MemoryRouteStore({ maxEntries: 0 })).toThrow(/cache.maxEntries must be a positive integer/);
    expect(() => new MemoryRouteStore({ maxBytes: 1.5 })).toThrow(/cache.maxBytes must be a positive integer/);
  });
});

describe('the decisions', () => {
  it('keeps the most restrictive of duplicated lifetimes; a malformed one is dropped and marked (stale at once, as undici)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 5 }), (ages) => {
        expect(parseCacheControl(ages.map((a) => `max-age=${a}`).join(', '))['max-age']).toBe(Math.min(...ages));
        expect(parseCacheControl(ages.map((a) => `s-maxage="${a}"`))['s-maxage']).toBe(Math.min(...ages));
      }),
    );
    expect(parseCacheControl('max-age=abc')['max-age']).toBeUndefined();
    expect(hasInvalidDirective(parseCacheControl('max-age=abc'), 'max-age')).toBe(true);
    expect(
      storableHead({ method: 'GET', status: 200, statusText: 'OK', headers: { 'cache-control': 'max-age=abc' }, requestHeaders: {}, ttl: 60_000, now: 1_700_000_000_000 }),
    ).toBeNull();
    expect(parseCacheControl('no-cache="set-cookie, x-a", private')).toEqual({ 'no-cache': ['set-cookie', 'x-a'], private: true });
  });

  it('a stored response is fresh until its max-age ends, then revalidated with its validator, then dropped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 200_000 }), (maxAge, elapsedMs) => {
        const now = 1_700_000_000_000;
        const stored = storableHead({
          method: 'GET',
          status: 200,
          statusText: 'OK',
          headers: { 'cache-control': `max-age=${maxAge}`, etag: '"x"' },
          requestHeaders: {},
          ttl: undefined,
          now,
        })!;
        const r = reuseDecision(stored, undefined, {}, now + elapsedMs * 1000);
        if (elapsedMs <= maxAge) expect(r.kind).toBe('fresh');
        // Kept for revalidation as long again as it was fresh (undici's deleteAt), then dropped.
        else if (elapsedMs <= 2 * maxAge) expect(r).toEqual({ kind: 'revalidate', headers: { 'if-none-match': '"x"', 'if-modified-since': new Date(now).toUTCString() } });
        else expect(r.kind).toBe('drop');
      }),
    );
  });

  it('never stores what a shared cache must not: no-store, private, Set-Cookie, Vary: *, credentials without public', () => {
    const base = { method: 'GET', status: 200, statusText: 'OK', requestHeaders: {}, ttl: 60_000, now: 1_000 };
    expect(storableHead({ ...base, headers: { 'cache-control': 'no-store' } })).toBeNull();
    expect(storableHead({ ...base, headers: { 'cache-control': 'private, max-age=60' } })).toBeNull();
    expect(storableHead({ ...base, headers: { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' } })).toBeNull();
    expect(storableHead({ ...base, headers: { 'cache-control': 'max-age=60', vary: '*' } })).toBeNull();
    expect(storableHead({ ...base, headers: { 'cache-control': 'max-age=60' }, requestHeaders: { authorization: 'Bearer x' } })).toBeNull();
    expect(storableHead({ ...base, headers: { 'cache-control': 'public, max-age=60' }, requestHeaders: { authorization: 'Bearer x' } })).not.toBeNull();
    // ttl only without freshness information: an explicit max-age=0 without a validator is not stored.
    expect(storableHead({ ...base, headers: { 'cache-control': 'max-age=0' } })).toBeNull();
    expect(storableHead({ ...base, headers: {} })?.staleAt).toBe(61_000);
  });
});
