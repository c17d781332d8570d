/**
 * The miss path's key (session 26: `knownId`; session 27: gone, it was always the lookup's own
 * path string): a miss builds its cache key once, on the hit path, looks it up once, and the
 * write lists the entry under that same key, so the key is hashed once per miss (V8 keeps a
 * string's hash). On a real loopback proxy: one store lookup per miss, and the write gets the
 * very key the lookup got. Whatever the lookups in between (other requests'), each write lands
 * under its own URL.
 *
 * The store's map has two levels (origin → path → entries, session 26 part 2): a model check
 * that writes, evictions (by `maxEntries`) and the interceptor's `delete` across origins keep
 * every lookup equal to a flat `origin:path` model's, and leave no empty origin behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BoundedCacheStore, type EntryHead } from '../src/policies/cache/bounded-store.js';
import { NodeRouteCache } from '../src/policies/cache/node-cache.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

const head = (now: number): EntryHead => ({ statusCode: 200, statusMessage: 'OK', headers: { 'x-v': '1' }, cachedAt: now, staleAt: now + 60_000, deleteAt: now + 60_000 });
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('BoundedCacheStore writes after interleaved lookups', () => {
  it('stores each write under its own origin and path, with other lookups between lookup and write', async () => {
    const path = fc.stringMatching(/^\/[a-z0-9?=~]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(path, { minLength: 1, maxLength: 6 }), async (paths) => {
        const store = new BoundedCacheStore();
        const origin = 'http://127.0.0.1:1';
        const now = Date.now();
        // Every lookup first (as concurrent misses), then every write.
        for (const p of paths) expect(store.lookupInvariant(origin, p, 'GET', now)).toBeUndefined();
        for (const p of paths) {
          const sink = store.writer(origin, p, 'GET', {}, head(now), 1_000, false);
          sink.write(Buffer.from(p));
          sink.end();
        }
        await settle();
        for (const p of paths) expect(store.lookup(origin, p, 'GET', {}, now)?.body[0].toString()).toBe(p);
        expect(store.stats().entries).toBe(paths.length);
      }),
      { numRuns: 50 },
    );
  });
});

describe('one key per miss through the Node proxy', () => {
  let upstream: TestServer;
  let proxy: PolicyProxy;
  beforeAll(async () => {
    upstream = await startServer((req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
      res.end(req.url);
    });
    proxy = await startPolicyProxy({ '/c/*': { target: upstream.url, auth: { type: 'apiKey', keys: [await keyHash('key-a')] }, cache: true } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('a miss looks its key up once, builds it once, and stores under that key', async () => {
    const get = (path: string) => rawRequest(proxy.url, { path, headers: { 'x-api-key': 'key-a' } });
    // The route cache is created by the route's first request (which takes the interceptor);
    // the caller's key prefix by its second (the hit path's per-plan map keeps it).
    await get('/c/warm');
    await get('/c/warm2');
    // Spies call through: the store works as ever, and each call's arguments are kept.
    const lookup = vi.spyOn(BoundedCacheStore.prototype, 'lookup');
    const lookupInvariant = vi.spyOn(BoundedCacheStore.prototype, 'lookupInvariant');
    const writer = vi.spyOn(BoundedCacheStore.prototype, 'writer');
    const keyPrefix = vi.spyOn(NodeRouteCache, 'keyPrefix');
    const keyPath = vi.spyOn(NodeRouteCache.prototype, 'keyPath');
    try {
      for (let i = 0; i < 5; i++) {
        const r = await get(`/c/new?u=${i}`);
        expect(r.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
      }
      await settle();
      const lookups = [...lookup.mock.calls, ...lookupInvariant.mock.calls].map((c) => c[1]);
      const writes = writer.mock.calls.map((c) => c[1]);
      // One lookup and one write per miss, under the same key; no key built again for either.
      expect(lookups).toHaveLength(5);
      expect(writes).toEqual(lookups);
      expect(new Set(lookups).size).toBe(5);
      expect(keyPath).not.toHaveBeenCalled();
      expect(keyPrefix).not.toHaveBeenCalled();
      // Each stored under its own key: served back as hits.
      for (let i = 0; i < 5; i++) {
        const r = await get(`/c/new?u=${i}`);
        expect(r.headers['cache-status']).toBe('af-routes; hit');
        expect(r.body.toString()).toBe(`/new?u=${i}`);
      }
    } finally {
      lookup.mockRestore();
      lookupInvariant.mockRestore();
      writer.mockRestore();
      keyPrefix.mockRestore();
      keyPath.mockRestore();
    }
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
