/**
 * `BoundedCacheStore.writer`'s `knownId` (session 26): the miss path hands the store the Map key
 * its lookup built (`lastKeyId`), so the write neither builds nor hashes it again. Whatever the
 * lookups in between (other requests'), the entry lands under its own URL; an id that cannot be
 * the lookup's path (its length differs) is not trusted.
 *
 * The store's map has two levels (origin → path → entries, session 26 part 2): a model check
 * that writes, evictions (by `maxEntries`) and the interceptor's `delete` across origins keep
 * every lookup equal to a flat `origin:path` model's, and leave no empty origin behind.
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
          expect(store.lastKeyId).toBe(p);
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

describe('BoundedCacheStore two-level map', () => {
  it('agrees with a flat origin:path model under writes, eviction and delete across origins', async () => {
    const origin = fc.constantFrom('http://a:1', 'http://a:12', 'http://b:1');
    const path = fc.constantFrom('/', '/x', '/x?u=1', ':/x', '/y');
    const op = fc.record({ del: fc.boolean(), origin, path });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 4 }), async (ops, maxEntries) => {
        const store = new BoundedCacheStore({ maxEntries });
        const route = store.forRoute(1_000);
        const now = Date.now();
        // Model: insertion order of live keys (eviction drops the oldest held entry).
        const model: string[] = [];
        for (const [i, o] of ops.entries()) {
          const k = `${o.origin}\u0000${o.path}`;
          const at = model.indexOf(k);
          if (at >= 0) model.splice(at, 1);
          if (o.del) {
            void route.delete({ origin: o.origin, path: o.path, method: 'GET', headers: {} } as never);
          } else {
            const sink = store.writer(o.origin, o.path, 'GET', {}, head(now), 1_000);
            sink.write(Buffer.from(String(i)));
            sink.end();
            await settle();
            model.push(k);
            while (model.length > maxEntries) model.shift();
          }
          for (const oo of ['http://a:1', 'http://a:12', 'http://b:1'])
            for (const pp of ['/', '/x', '/x?u=1', ':/x', '/y']) {
              const found = store.lookup(oo, pp, 'GET', {}, now) !== undefined;
              expect(found).toBe(model.includes(`${oo}\u0000${pp}`));
            }
          expect(store.stats().entries).toBe(model.length);
        }
        // No origin map is left behind once its last path goes.
        expect((store as unknown as { entries: Map<string, Map<string, unknown>> }).entries.size).toBe(new Set(model.map((k) => k.split('\u0000')[0])).size);
      }),
      { numRuns: 100 },
    );
  });
});
