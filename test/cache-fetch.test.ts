/**
 * SPEC 12 `cache` on the fetch side: the same matrix as the Node proxy's (test/policies-cache)
 * through the fetch handler (real `Request`s, undici transport) and the functions runtime (the
 * platform's `fetch`), both against a real upstream on loopback: max-age, no-store, private,
 * Set-Cookie, Vary, ETag revalidation, `ttl` only without freshness information, maxEntrySize,
 * bypass reasons, per-caller separation on authenticated routes; then the store's bound under
 * 10,000 distinct URLs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createFetchTransport, createRuntimeRouter, createUndiciTransport } from '../src/index.js';
import { MemoryRouteStore } from '../src/policies/cache/memory-store.js';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { keyHash } from './support/policies.js';
import { startServer, type TestServer } from './support/servers.js';

/** The Node test's upstream: each path answers with its own caching headers and a per-path count. */
function cachingUpstream(hits: Record<string, number>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    const n = String(hits[path]);
    const send = (headers: Record<string, string>, body = `${path} #${n}`) => {
      res.writeHead(200, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };
    if (path === '/fresh') return send({ 'cache-control': 'max-age=60' });
    if (path === '/shared') return send({ 'cache-control': 'max-age=1, s-maxage=60' });
    if (path === '/nostore') return send({ 'cache-control': 'no-store' });
    if (path === '/cookie') return send({ 'cache-control': 'max-age=60', 'set-cookie': 'sid=' + n });
    if (path === '/private') return send({ 'cache-control': 'private, max-age=60' });
    if (path === '/vary') return send({ 'cache-control': 'max-age=60', vary: 'accept-language' }, `lang=${String(req.headers['accept-language'])} #${n}`);
    if (path === '/plain') return send({});
    if (path === '/whoami') return send({ 'cache-control': 'public, max-age=60' }, `caller #${n} key=${String(req.headers['x-api-key'] ?? 'none')}`);
    if (path === '/etag' || path === '/modified') {
      const validator: Record<string, string> = path === '/etag' ? { etag: '"v1"' } : { 'last-modified': 'Mon, 02 Jan 2006 15:04:05 GMT' };
      if (req.headers['if-none-match'] === '"v1"' || (path === '/modified' && req.headers['if-modified-since'] === validator['last-modified'])) {
        res.writeHead(304, { ...validator, 'cache-control': 'max-age=0' });
        res.end();
        return;
      }
      return send({ ...validator, 'cache-control': 'max-age=0' });
    }
    send({ 'cache-control': 'max-age=60' });
  };
}

const ROUTES = async (url: string) => ({
  '/c/*': { target: url, cache: true },
  '/ttl/*': { target: url, cache: { ttl: '30s' } },
  '/small/*': { target: url, cache: { maxEntrySize: '5B' } },
  '/head/*': { target: url, cache: { methods: ['GET', 'HEAD'] } },
  '/auth/*': { target: url, auth: { type: 'apiKey', keys: [await keyHash('key-a'), await keyHash('key-b')] }, cache: true },
});

type Call = (path: string, init?: RequestInit) => Promise<Response>;

interface Gateway {
  call: Call;
  events: RoutingEvent[];
  close(): Promise<void>;
}

const gateways: Record<string, (url: string) => Promise<Gateway>> = {
  'fetch handler (undici transport)': async (url) => {
    const events: RoutingEvent[] = [];
    const transport = createUndiciTransport();
    const handler = createFetchHandler({ router: compile((await ROUTES(url)) as never, { backend: 'js' }), transport, events: { emit: (e) => events.push(e) } });
    return {
      events,
      call: async (path, init) => (await handler(new Request(`http://gw.test${path}`, init), { clientAddress: '127.0.0.1' }))!,
      close: async () => {
        handler.close?.();
        await transport.close();
      },
    };
  },
  "functions runtime (the platform's fetch)": async (url) => {
    const events: RoutingEvent[] = [];
    const routes = await ROUTES(url);
    const runtime = createRuntimeRouter({
      loadRoutes: () => routes as never,
      blockPrivateNetworks: false,
      transport: createFetchTransport(),
      events: { emit: (e) => events.push(e) },
    });
    return {
      events,
      call: async (path, init) => (await runtime.handleRequest('fn', new Request(`http://fn.test${path}`, init), { clientAddress: '127.0.0.1' }))!,
      close: () => runtime.close(),
    };
  },
};

describe.each(Object.keys(gateways))('cache through the %s', (name) => {
  const hits: Record<string, number> = {};
  let upstream: TestServer;
  let gw: Gateway;
  beforeAll(async () => {
    upstream = await startServer(cachingUpstream(hits));
    gw = await gateways[name]!(upstream.url);
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await gw.call(path, { headers });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };

  it('honours max-age and s-maxage: the second request is a hit and never reaches the upstream', async () => {
    const a = await get('/c/fresh');
    const b = await get('/c/fresh');
    expect(a.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(b.headers.get('cache-status')).toBe('af-routes; hit');
    expect(b.body).toBe(a.body);
    expect(b.headers.get('age')).not.toBeNull();
    expect(b.headers.get('content-type')).toBe('text/plain');
    expect(hits['/fresh']).toBe(1);
    expect(gw.events.some((e) => e.type === 'cache' && e.status === 'hit')).toBe(true);
    await get('/c/shared');
    expect((await get('/c/shared')).headers.get('cache-status')).toBe('af-routes; hit');
    expect(hits['/shared']).toBe(1);
  });

  it('never shares no-store, private or Set-Cookie responses', async () => {
    for (const path of ['/nostore', '/private', '/cookie']) {
      const a = await get('/c' + path);
      const b = await get('/c' + path);
      expect(b.body, path).not.toBe(a.body);
      expect(b.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
      expect(hits[path]).toBe(2);
    }
  });

  it('respects Vary', async () => {
    const en = await get('/c/vary', { 'accept-language': 'en' });
    const fr = await get('/c/vary', { 'accept-language': 'fr' });
    const en2 = await get('/c/vary', { 'accept-language': 'en' });
    const fr2 = await get('/c/vary', { 'accept-language': 'fr' });
    expect(en.body).toBe('lang=en #1');
    expect(fr.body).toBe('lang=fr #2');
    expect(en2.body).toBe('lang=en #1');
    expect(fr2.body).toBe('lang=fr #2');
    expect(en2.headers.get('cache-status')).toBe('af-routes; hit');
    expect(hits['/vary']).toBe(2);
  });

  it('revalidates a stale entry with its ETag or Last-Modified and serves the stored body on 304', async () => {
    for (const path of ['/etag', '/modified']) {
      const a = await get('/c' + path);
      const b = await get('/c' + path);
      expect(b.status, path).toBe(200);
      expect(b.body).toBe(a.body);
      expect(b.body).toBe(`${path} #1`);
      expect(b.headers.get('cache-status')).toBe('af-routes; fwd=stale');
      expect(hits[path]).toBe(2);
    }
  });

  it('applies ttl only to responses without freshness information', async () => {
    await get('/c/plain');
    await get('/c/plain');
    expect(hits['/plain']).toBe(2); // no ttl: a 200 without freshness is not stored
    await get('/ttl/plain');
    const b = await get('/ttl/plain');
    expect(b.headers.get('cache-status')).toBe('af-routes; hit');
    expect(hits['/plain']).toBe(3);
    await get('/ttl/nostore');
    await get('/ttl/nostore');
    expect(hits['/nostore']).toBe(4); // ttl never overrides no-store
  });

  it('does not store an entry larger than the route maxEntrySize', async () => {
    await get('/small/fresh2');
    const b = await get('/small/fresh2');
    expect(b.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(hits['/fresh2']).toBe(2);
  });

  it('says why it went forward for other methods and no-store requests; HEAD is cached apart from GET', async () => {
    const post = await gw.call('/c/fresh', { method: 'POST', body: 'x' });
    expect(post.headers.get('cache-status')).toBe('af-routes; fwd=method');
    await post.text();
    const ns = await get('/c/fresh', { 'cache-control': 'no-store' });
    expect(ns.headers.get('cache-status')).toBe('af-routes; fwd=request');
    const h1 = await gw.call('/head/h', { method: 'HEAD' });
    const h2 = await gw.call('/head/h', { method: 'HEAD' });
    expect(h1.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(h2.headers.get('cache-status')).toBe('af-routes; hit');
    expect(await h2.text()).toBe('');
    const g = await get('/head/h');
    expect(g.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(g.body).toBe('/h #2');
  });

  it('forgets a stored response when an unsafe request to it succeeds', async () => {
    await get('/c/doc');
    expect((await get('/c/doc')).headers.get('cache-status')).toBe('af-routes; hit');
    await (await gw.call('/c/doc', { method: 'POST', body: 'x' })).text();
    const after = await get('/c/doc');
    expect(after.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(hits['/doc']).toBe(3);
  });

  it("keys per caller on a route with auth: two API keys never see each other's responses", async () => {
    const a1 = await get('/auth/whoami', { 'x-api-key': 'key-a' });
    const b1 = await get('/auth/whoami', { 'x-api-key': 'key-b' });
    const a2 = await get('/auth/whoami', { 'x-api-key': 'key-a' });
    const b2 = await get('/auth/whoami', { 'x-api-key': 'key-b' });
    expect(a1.body).toBe('caller #1 key=none');
    expect(b1.body).toBe('caller #2 key=none');
    expect(a2.body).toBe(a1.body);
    expect(b2.body).toBe(b1.body);
    expect(a2.headers.get('cache-status')).toBe('af-routes; hit');
    const bad = await get('/auth/whoami', { 'x-api-key': 'key-c' });
    expect(bad.status).toBe(401);
    expect(hits['/whoami']).toBe(2);
  });
});

describe('the fetch store bound', () => {
  it('holds at most maxEntries and maxBytes under 10,000 distinct URLs, through the handler and the store', async () => {
    const hits: Record<string, number> = {};
    const upstream = await startServer((req, res) => {
      hits[req.url ?? ''] = 1;
      res.writeHead(200, { 'cache-control': 'max-age=600' });
      res.end('x'.repeat(100));
    });
    const store = new MemoryRouteStore({ maxEntries: 500, maxBytes: 60_000 });
    const transport = createUndiciTransport();
    const handler = createFetchHandler({
      router: compile({ '/*': { target: upstream.url, cache: true } } as never, { backend: 'js' }),
      transport,
      cache: { maxEntries: 500, maxBytes: 60_000 },
    });
    try {
      // The store at scale, checked after every write.
      const head = {
        statusCode: 200,
        statusMessage: 'OK',
        headers: { 'content-type': 'text/plain' },
        cacheControlDirectives: {},
        cachedAt: Date.now(),
        staleAt: Date.now() + 60_000,
        deleteAt: Date.now() + 60_000,
      };
      for (let i = 0; i < 10_000; i++) {
        store.put(`k/${i}`, 'GET', head, [new Uint8Array(100)], {});
        const s = store.stats();
        if (s.entries > 500 || s.bytes > 60_000) throw new Error(`bound exceeded after ${i + 1} URLs: ${JSON.stringify(s)}`);
      }
      expect(store.stats().entries).toBeLessThanOrEqual(500);
      expect(store.get('k/0', 'GET', {}, Date.now())).toBeUndefined();
      expect(store.get('k/9999', 'GET', {}, Date.now())).toBeDefined();
      // The handler's own store, through real requests: the newest answer from it, the oldest were evicted.
      const heapBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1_000; i++) await (await handler(new Request(`http://gw.test/many/${i}`)))!.text();
      expect(Object.keys(hits)).toHaveLength(1_000);
      expect((await handler(new Request('http://gw.test/many/999')))!.headers.get('cache-status')).toBe('af-routes; hit');
      expect((await handler(new Request('http://gw.test/many/0')))!.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    } finally {
      handler.close?.();
      await transport.close();
      await upstream.close();
    }
  }, 60_000);
});
