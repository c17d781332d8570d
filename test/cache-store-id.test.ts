/**
 * `BoundedCacheStore.writer`'s `knownId` (session 26): the miss path hands the store the Map key
 * its lookup built (`lastKeyId`), so the write neither builds nor hashes it again. Whatever the
 * lookups in between (other requests'), the entry lands under its own URL; an id that cannot be
 * `origin:path` (its length differs) is not trusted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCacheStore, type EntryHead } from '../src/policies/cache/bounded-store.js';

const head = (now: number): EntryHead => ({ statusCode: 200, statusMessage: 'OK', headers: { 'x-v': '1' }, cachedAt: now, staleAt: now + 60_000, deleteAt: now + 60_000 });
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('BoundedCacheStore.writer with a known id', () => {
  it('stores each write under its own origin and path, with other lookups between lookup and write', async () => {
    const path = fc.stringMatching(/^\/[a-z0-9?=~]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(path, { minLength: 1, maxLength: 6 }), fc.boolean(), async (paths, lie) => {
        const store = new BoundedCacheStore();
        const origin = 'http://127.0.0.1:1';
        const now = Date.now();
        // Every lookup first (as concurrent misses), then every write with its own lookup's id.
        const ids = paths.map((p) => {
          expect(store.lookupInvariant(origin, p, 'GET', now)).toBeUndefined();
          expect(store.lastKeyId).toBe(`${origin}:${p}`);
          return store.lastKeyId;
        });
        paths.forEach((p, i) => {
          // A wrong id (another length) must not be used: the write falls back to building it.
          const id = lie ? ids[i] + 'x' : ids[i];
          const sink = store.writer(origin, p, 'GET', {}, head(now), 1_000, false, id);
          sink.write(Buffer.from(p));
          sink.end();
        });
        await settle();
        for (const p of paths) expect(store.lookup(origin, p, 'GET', {}, now)?.body[0].toString()).toBe(p);
        expect(store.stats().entries).toBe(paths.length);
      }),
      { numRuns: 50 },
    );
  });
});
