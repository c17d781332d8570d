/**
 * SPEC 12 `cache` through the Node proxy (undici's RFC 9111 interceptor on a bounded store):
 * max-age, no-store, Set-Cookie, Vary, ETag revalidation, `ttl` only without freshness
 * information, per-caller separation on authenticated routes, `Cache-Status` on every response,
 * and the memory bound under 10,000 distinct URLs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedCacheStore } from '../src/policies/cache/bounded-store.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
const hits: Record<string, number> = {};
function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  hits[path] = (hits[path] ?? 0) + 1;
  const n = String(hits[path]);
  const send = (headers: Record<string, string>, body = `${path} #${n}`) => {
    res.writeHead(200, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  if (path === '/fresh') return send({ 'cache-control': 'max-age=60' });
  if (path === '/nostore') return send({ 'cache-control': 'no-store' });
  if (path === '/cookie') return send({ 'cache-control': 'max-age=60', 'set-cookie': 'sid=' + n });
  if (path === '/private') return send({ 'cache-control': 'private, max-age=60' });
  if (path === '/vary') return send({ 'cache-control': 'max-age=60', vary: 'accept-language' }, `lang=${req.headers['accept-language']} #${n}`);
  if (path === '/plain') return send({});
  if (path === '/whoami') return send({ 'cache-control': 'public, max-age=60' }, `caller #${n} key=${String(req.headers['x-api-key'] ?? 'none')}`);
  if (path === '/etag') {
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=0' });
      res.end();
      return;
    }
    return send({ etag: '"v1"', 'cache-control': 'max-age=0' });
  }
  if (path.startsWith('/many/')) return send({ 'cache-control': 'max-age=600' }, 'x'.repeat(100));
  send({ 'cache-control': 'max-age=60' });
}

let proxy: PolicyProxy;
beforeAll(async () => {
  upstream = await startServer(handler);
  proxy = await startPolicyProxy({
    '/c/*': { target: upstream.url, cache: true },
    '/ttl/*': { target: upstream.url, cache: { ttl: '30s' } },
    '/small/*': { target: upstream.url, cache: { maxEntrySize: '5B' } },
    '/auth/*': { target: upstream.url, auth: { type: 'apiKey', keys: [await keyHash('key-a'), await keyHash('key-b')] }, cache: true },
  });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(proxy.url, { path, headers });

describe('cache', () => {
  it('honours max-age: the second request is a hit and never reaches the upstream', async () => {
    const a = await get('/c/fresh');
    const b = await get('/c/fresh');
    expect(a.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(b.body.toString()).toBe(a.body.toString());
    expect(b.headers.age).toBeDefined();
    expect(hits['/fresh']).toBe(1);
    expect(proxy.events.some((e) => e.type === 'cache' && e.status === 'hit')).toBe(true);
  });

  it('never shares no-store, private or Set-Cookie responses', async () => {
    for (const path of ['/nostore', '/private', '/cookie']) {
      const a = await get('/c' + path);
      const b = await get('/c' + path);
      expect(b.body.toString(), path).not.toBe(a.body.toString());
      expect(b.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
      expect(hits[path]).toBe(2);
    }
  });

  it('respects Vary', async () => {
    const en = await get('/c/vary', { 'accept-language': 'en' });
    const fr = await get('/c/vary', { 'accept-language': 'fr' });
    const en2 = await get('/c/vary', { 'accept-language': 'en' });
    expect(en.body.toString()).toBe('lang=en #1');
    expect(fr.body.toString()).toBe('lang=fr #2');
    expect(en2.body.toString()).toBe('lang=en #1');
    expect(en2.headers['cache-status']).toBe('af-routes; hit');
  });

  it('revalidates a stale entry with its ETag and serves the stored body on 304', async () => {
    const a = await get('/c/etag');
    const b = await get('/c/etag');
    expect(b.status).toBe(200);
    expect(b.body.toString()).toBe(a.body.toString());
    expect(b.headers['cache-status']).toBe('af-routes; fwd=stale');
    expect(hits['/etag']).toBe(2);
  });

  it('applies ttl only to responses without freshness information', async () => {
    await get('/c/plain');
    await get('/c/plain');
    expect(hits['/plain']).toBe(2); // no ttl: a 200 without freshness is not stored
    await get('/ttl/plain');
    const b = await get('/ttl/plain');
    expect(b.headers['cache-status']).toBe('af-routes; hit');
    expect(hits['/plain']).toBe(3);
    await get('/ttl/nostore');
    await get('/ttl/nostore');
    expect(hits['/nostore']).toBe(4); // ttl never overrides no-store
  });

  it('does not store an entry larger than the route maxEntrySize', async () => {
    await get('/small/fresh2');
    const b = await get('/small/fresh2');
    expect(b.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(hits['/fresh2']).toBe(2);
  });

  it('says bypass for methods it does not cache and requests with no-store', async () => {
    const post = await rawRequest(proxy.url, { path: '/c/fresh', method: 'POST', body: 'x' });
    expect(post.headers['cache-status']).toBe('af-routes; fwd=method');
    const ns = await get('/c/fresh', { 'cache-control': 'no-store' });
    expect(ns.headers['cache-status']).toBe('af-routes; fwd=request');
  });

  it("keys per caller on a route with auth: two API keys never see each other's responses", async () => {
    const a1 = await get('/auth/whoami', { 'x-api-key': 'key-a' });
    const b1 = await get('/auth/whoami', { 'x-api-key': 'key-b' });
    const a2 = await get('/auth/whoami', { 'x-api-key': 'key-a' });
    const b2 = await get('/auth/whoami', { 'x-api-key': 'key-b' });
    expect(a1.body.toString()).toBe('caller #1 key=none');
    expect(b1.body.toString()).toBe('caller #2 key=none');
    expect(a2.body.toString()).toBe(a1.body.toString());
    expect(b2.body.toString()).toBe(b1.body.toString());
    expect(a2.headers['cache-status']).toBe('af-routes; hit');
    // A refused caller gets a 401, never a cached body.
    const bad = await get('/auth/whoami', { 'x-api-key': 'key-c' });
    expect(bad.status).toBe(401);
  });
});

describe('memory bound', () => {
  it('holds at most maxEntries and maxBytes under 10,000 distinct URLs', async () => {
    const store = new BoundedCacheStore({ maxEntries: 500, maxBytes: 40_000 });
    const bounded = await startPolicyProxy({ '/*': { target: upstream.url, cache: true } }, { cache: { maxEntries: 500, maxBytes: 40_000 } });
    // The proxy's own store is private: drive the same store type directly at scale, and the proxy at a smaller scale.
    const route = store.forRoute(1024 * 1024);
    for (let i = 0; i < 10_000; i++) {
      const key = { origin: 'http://u', method: 'GET', path: `/many/${i}`, headers: {} };
      const w = route.createWriteStream(key, {
        statusCode: 200,
        statusMessage: 'OK',
        headers: {},
        cacheControlDirectives: {},
        cachedAt: Date.now(),
        staleAt: Date.now() + 60_000,
        deleteAt: Date.now() + 60_000,
      } as never)!;
      await new Promise<void>((resolve) => w.end(Buffer.alloc(100), () => resolve()));
      const s = store.stats();
      if (s.entries > 500 || s.bytes > 40_000) throw new Error(`bound exceeded after ${i + 1} URLs: ${JSON.stringify(s)}`);
    }
    expect(store.stats().entries).toBe(400);
    // The oldest are gone from the underlying store, the newest are served.
    expect(route.get({ origin: 'http://u', method: 'GET', path: '/many/0', headers: {} })).toBeUndefined();
    expect(route.get({ origin: 'http://u', method: 'GET', path: '/many/9999', headers: {} })).toBeDefined();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 600; i++) await rawRequest(bounded.url, { path: `/many/${i}` });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    await bounded.close();
  }, 60_000);
});
