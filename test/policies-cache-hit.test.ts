/**
 * The route cache's own store and its hit path (SPEC 12 `cache`): the bound and the byte
 * accounting hold for any sequence of stores and deletions (a property), Vary variants are
 * separate entries, and a hit served through the Node proxy carries exactly the head the
 * general path gives it: RateLimit headers, `Age`, `Cache-Status`, the response rules, a
 * `Content-Length` even when the upstream sent its body chunked, one value per stage header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedCacheStore } from '../src/policies/cache/bounded-store.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

function value(size: number) {
  const now = Date.now();
  return { statusCode: 200, statusMessage: 'OK', headers: { 'x-size': String(size) }, cacheControlDirectives: {}, cachedAt: now, staleAt: now + 60_000, deleteAt: now + 60_000 };
}

async function store(route: ReturnType<BoundedCacheStore['forRoute']>, path: string, size: number, headers: Record<string, string> = {}, vary?: Record<string, string | null>) {
  const w = route.createWriteStream({ origin: 'http://u', method: 'GET', path, headers }, { ...value(size), ...(vary ? { vary } : {}) } as never)!;
  await new Promise<void>((resolve) => w.end(Buffer.alloc(size, 1), () => resolve()));
}

describe('bounded store', () => {
  it('keeps entries and bytes within bounds, counts exactly what it holds, and always keeps the newest entry that fits', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), path: fc.integer({ min: 0, max: 20 }), size: fc.integer({ min: 0, max: 400 }) }),
      fc.record({ kind: fc.constant('delete' as const), path: fc.integer({ min: 0, max: 20 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(op, { maxLength: 60 }),
        async (maxEntries, maxBytes, maxEntrySize, ops) => {
          const s = new BoundedCacheStore({ maxEntries, maxBytes });
          const route = s.forRoute(maxEntrySize);
          for (const o of ops) {
            const key = { origin: 'http://u', method: 'GET', path: `/p${o.path}`, headers: {} };
            if (o.kind === 'put') {
              await store(route, key.path, o.size);
              const got = route.get(key) as unknown as { body: Buffer[]; headers: Record<string, string> } | undefined;
              if (o.size <= Math.min(maxEntrySize, maxBytes)) {
                expect(got?.headers['x-size']).toBe(String(o.size));
                expect(got?.body[0]!.byteLength).toBe(o.size);
              } else expect(got?.headers['x-size']).not.toBe(String(o.size));
            } else {
              void route.delete(key);
              expect(route.get(key)).toBeUndefined();
            }
            const stats = s.stats();
            expect(stats.entries).toBeLessThanOrEqual(maxEntries);
            expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
            let held = 0;
            let bytes = 0;
            for (let p = 0; p <= 20; p++) {
              const got = route.get({ origin: 'http://u', method: 'GET', path: `/p${p}`, headers: {} }) as unknown as { body: Buffer[] } | undefined;
              if (got !== undefined) {
                held++;
                bytes += got.body[0]!.byteLength;
              }
            }
            expect(stats).toEqual({ entries: held, bytes });
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holds each Vary variant as its own entry and replaces a variant stored again', async () => {
    const s = new BoundedCacheStore({ maxEntries: 10, maxBytes: 10_000 });
    const route = s.forRoute(10_000);
    await store(route, '/v', 10, { 'accept-language': 'en' }, { 'accept-language': 'en' });
    await store(route, '/v', 20, { 'accept-language': 'fr' }, { 'accept-language': 'fr' });
    await store(route, '/v', 30, { 'accept-language': 'en' }, { 'accept-language': 'en' });
    expect(s.stats()).toEqual({ entries: 2, bytes: 50 });
    const en = route.get({ origin: 'http://u', method: 'GET', path: '/v', headers: { 'accept-language': 'en' } }) as unknown as { body: Buffer[] };
    expect(en.body[0]!.byteLength).toBe(30);
    expect(route.get({ origin: 'http://u', method: 'GET', path: '/v', headers: { 'accept-language': 'de' } })).toBeUndefined();
    // Without request headers, the lookup that cannot see them declines a URL whose response varies.
    expect(s.lookupInvariant('http://u', '/v', 'GET')).toBeUndefined();
    void route.delete({ origin: 'http://u', method: 'GET', path: '/v', headers: {} });
    expect(s.stats()).toEqual({ entries: 0, bytes: 0 });
  });
});

let upstream: TestServer;
const hits: Record<string, number> = {};
function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  hits[path] = (hits[path] ?? 0) + 1;
  const body = `${path} #${hits[path]}`;
  if (path === '/chunked') {
    // No Content-Length: the upstream streams its body in two chunks.
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
    res.write(body.slice(0, 3));
    res.end(body.slice(3));
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'text/plain', 'cache-control': 'max-age=60', age: '7', 'x-upstream': 'yes' };
  // An upstream that sends a header a stage also sets: the stage's value is the one the client gets.
  if (path === '/own-ratelimit') headers['ratelimit'] = '"upstream";r=1;t=1';
  if (path === '/vary') headers['vary'] = 'accept-language';
  res.writeHead(200, headers);
  res.end(body);
}

let proxy: PolicyProxy;
beforeAll(async () => {
  upstream = await startServer(handler);
  const keys = [await keyHash('key-a')];
  proxy = await startPolicyProxy({
    '/rl/*': { target: upstream.url, auth: { type: 'apiKey', keys }, rateLimit: { requests: 10, per: '1h' }, cache: true },
    '/rules/*': { target: upstream.url, cache: true, responseHeaders: { set: { 'x-route': 'rules' }, remove: ['x-upstream'] } },
    '/plain/*': { target: upstream.url, cache: true },
    // A target with a base path, a placeholder and its own query: the hit path's key path is the forwarded request-target.
    '/tpl/:id': { target: `${upstream.url}/items/:id?v=1`, cache: true },
  });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(proxy.url, { path, headers });

describe('cache hits through the Node proxy', () => {
  it("carry the stages' RateLimit headers, Age and Cache-Status, with the stored body and its length", async () => {
    const a = await get('/rl/one', { 'x-api-key': 'key-a' });
    const b = await get('/rl/one', { 'x-api-key': 'key-a' });
    expect(a.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(b.body.toString()).toBe(a.body.toString());
    expect(hits['/one']).toBe(1);
    expect(b.headers['content-length']).toBe(String(a.body.byteLength));
    expect(b.headers['x-upstream']).toBe('yes');
    expect(b.headers['ratelimit-policy']).toBe('"default";q=10;w=3600');
    expect(a.headers['ratelimit']).toMatch(/^"default";r=9;t=\d+$/);
    expect(b.headers['ratelimit']).toMatch(/^"default";r=8;t=\d+$/);
    // Age counts from the upstream's 7 (RFC 9111 4.2.3: the response was that old when stored), once.
    expect(b.headers['age']).toMatch(/^[78]$/);
    expect(b.rawHeaders.filter((h) => h.toLowerCase() === 'age')).toHaveLength(1);
    // A refused caller is refused before the cache: no stored body leaks.
    const bad = await get('/rl/one', { 'x-api-key': 'key-x' });
    expect(bad.status).toBe(401);
  });

  it("give the stage's RateLimit value, once, when the upstream sent its own", async () => {
    await get('/rl/own-ratelimit', { 'x-api-key': 'key-a' });
    const b = await get('/rl/own-ratelimit', { 'x-api-key': 'key-a' });
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(b.rawHeaders.filter((h) => h.toLowerCase() === 'ratelimit')).toHaveLength(1);
    expect(b.headers['ratelimit']).toMatch(/^"default";r=\d+;t=\d+$/);
  });

  it('apply the response rules as a forwarded response gets them', async () => {
    const a = await get('/rules/r');
    const b = await get('/rules/r');
    for (const r of [a, b]) {
      expect(r.headers['x-route']).toBe('rules');
      expect(r.headers['x-upstream']).toBeUndefined();
    }
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(b.body.toString()).toBe(a.body.toString());
  });

  it('answer a body the upstream sent chunked with its Content-Length', async () => {
    const a = await get('/plain/chunked');
    const b = await get('/plain/chunked');
    expect(a.headers['transfer-encoding']).toBe('chunked');
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(b.body.toString()).toBe('/chunked #1');
    expect(b.headers['content-length']).toBe(String(b.body.byteLength));
    expect(b.headers['transfer-encoding']).toBeUndefined();
    expect(hits['/chunked']).toBe(1);
  });

  it('serve a varying response only to requests that match it, and HEAD and conditional requests through the interceptor', async () => {
    const en = await get('/plain/vary', { 'accept-language': 'en' });
    const en2 = await get('/plain/vary', { 'accept-language': 'en' });
    const fr = await get('/plain/vary', { 'accept-language': 'fr' });
    expect(en2.body.toString()).toBe(en.body.toString());
    expect(en2.headers['cache-status']).toBe('af-routes; hit');
    expect(fr.body.toString()).not.toBe(en.body.toString());
    await get('/plain/one');
    const head = await rawRequest(proxy.url, { path: '/plain/one', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    const get1 = await get('/plain/one');
    const cond = await get('/plain/one', { 'cache-control': 'no-cache' });
    expect(get1.headers['cache-status']).toBe('af-routes; hit');
    expect(cond.headers['cache-status']).not.toBe('af-routes; hit');
  });
});

describe('cache hits on a templated target', () => {
  it('key the forwarded request-target: base path, placeholder, the target query and the request query', async () => {
    const a1 = await get('/tpl/a?x=1');
    const a2 = await get('/tpl/a?x=1');
    const a3 = await get('/tpl/a?x=2');
    const b1 = await get('/tpl/b?x=1');
    expect(a1.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(a2.headers['cache-status']).toBe('af-routes; hit');
    expect(a3.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(b1.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(a2.body.toString()).toBe(a1.body.toString());
    expect(hits['/items/a']).toBe(2);
    expect(hits['/items/b']).toBe(1);
  });
});
