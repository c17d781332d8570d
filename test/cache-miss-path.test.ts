/**
 * The route cache's miss path on Node without undici's interceptor (src/policies/cache/node-miss.ts),
 * on a real loopback upstream: a response is stored exactly when undici's own cache interceptor
 * (an Agent composed with `interceptors.cache`, same upstream) stores it; Vary, no-store and
 * Set-Cookie; a response whose upstream dies mid-body is never stored; the store's bound holds
 * under 10,000 distinct URLs. A spy on StoringHandler shows the misses take the new path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { Agent, interceptors, request as undiciRequest, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BoundedCacheStore } from '../src/policies/cache/bounded-store.js';
import { StoringHandler } from '../src/policies/cache/node-miss.js';
import { startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

/** What the upstream answers on `/case/<n>/...`: set by the property per case. */
const cases = new Map<string, { status: number; headers: Record<string, string | string[]> }>();
const hits = new Map<string, number>();
/** Requests per path that were not conditional (a revalidation of a stored response does not count). */
const unconditional = new Map<string, number>();
let upstream: TestServer;
let proxy: PolicyProxy;
let undiciCached: Dispatcher;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (req.headers['if-none-match'] === undefined && req.headers['if-modified-since'] === undefined) unconditional.set(path, (unconditional.get(path) ?? 0) + 1);
  const n = hits.get(path)!;
  const send = (status: number, headers: Record<string, string | string[]>, body = `${path} #${n}`) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  const c = /^\/case\/(\d+)\//.exec(path);
  if (c !== null) {
    const spec = cases.get(c[1]!)!;
    return send(spec.status, spec.headers);
  }
  if (path === '/vary') return send(200, { 'cache-control': 'max-age=60', vary: 'accept-language' }, `lang=${String(req.headers['accept-language'])} #${n}`);
  if (path === '/nostore') return send(200, { 'cache-control': 'no-store, max-age=60' });
  if (path === '/cookie') return send(200, { 'cache-control': 'max-age=60', 'set-cookie': `sid=${n}` });
  if (path === '/broken') {
    // The head and part of a declared body, then the connection dies.
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', 'content-length': '1000' });
    res.write('x'.repeat(100), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  if (path.startsWith('/many/')) return send(200, { 'cache-control': 'max-age=600' }, 'x'.repeat(100));
  send(200, { 'cache-control': 'max-age=60' });
}

const spy = vi.spyOn(StoringHandler.prototype, 'onResponseStart');

beforeAll(async () => {
  upstream = await startServer(handler);
  proxy = await startPolicyProxy({ '/*': { target: upstream.url, cache: true } });
  undiciCached = new Agent().compose(interceptors.cache({ type: 'shared', methods: ['GET'] }));
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await (undiciCached as unknown as Agent).close?.();
});
afterEach(() => {
  spy.mockClear();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(proxy.url, { path, headers });

const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

/**
 * Whether the first response of a path was stored: the second request (a few ms later, so an
 * entry stale at once is stale by then: undici's `now > staleAt` is strict) is then served
 * from it or sent as a revalidation, never unconditionally again.
 */
async function undiciStored(path: string): Promise<boolean> {
  for (let i = 0; i < 2; i++) {
    const r = await undiciRequest(upstream.url + path, { dispatcher: undiciCached, headers: { 'accept-language': 'en' } });
    await r.body.dump();
    await pause();
  }
  return unconditional.get(path) === 1;
}

async function oursStored(path: string): Promise<boolean> {
  await get(path, { 'accept-language': 'en' });
  await pause();
  await get(path, { 'accept-language': 'en' });
  return unconditional.get(path) === 1;
}

const httpDate = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toUTCString();
const head = fc.record({
  status: fc.constantFrom(200, 200, 203, 301, 404, 410, 500),
  headers: fc
    .record(
      {
        'cache-control': fc.constantFrom(
          'max-age=60',
          'public, max-age=60',
          's-maxage=30',
          'max-age = 60',
          'max-age=60x',
          'max-age="60"',
          'max-age=60, max-age=0',
          'no-store',
          'no-storex, max-age=60',
          'max-age=60, no-store"x',
          'private, max-age=60',
          'private="x-a", max-age=60',
          'no-cache="x-a", max-age=60',
          'no-cache',
          'public',
          'immutable',
          'MAX-AGE=60',
          '',
        ),
        date: fc.oneof(fc.integer({ min: -120, max: 0 }).map(httpDate), fc.constantFrom('yesterday', '2026-01-01T00:00:00Z', 'Thu, 01 Jan 1970 00:00:00 GMT')),
        expires: fc.oneof(fc.integer({ min: -60, max: 600 }).map(httpDate), fc.constantFrom('0', 'never')),
        'last-modified': fc.integer({ min: -100_000, max: -1 }).map(httpDate),
        etag: fc.constantFrom('"v1"', 'W/"v1"', 'v1'),
        vary: fc.constantFrom('accept-language', 'accept', '*', 'x@y', 'Accept-Language, Accept'),
        'set-cookie': fc.constant('sid=1'),
        age: fc.constantFrom('0', '5', '100000', 'abc'),
        'x-a': fc.constant('a'),
      },
      { requiredKeys: [] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>),
});

let caseNo = 0;

describe('miss path without the interceptor', () => {
  it('stores exactly when undici’s cache interceptor stores (same upstream answer)', async () => {
    let storedCount = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(head, async (spec) => {
        // Set-Cookie is rarer in real answers; keep the generator reaching stored cases.
        if (spec.headers['set-cookie'] !== undefined && caseNo % 3 !== 0) delete spec.headers['set-cookie'];
        const id = String(++caseNo);
        cases.set(id, spec);
        const theirs = await undiciStored(`/case/${id}/undici`);
        const ours = await oursStored(`/case/${id}/ours`);
        runs++;
        if (theirs) storedCount++;
        expect({ spec, stored: ours }).toEqual({ spec, stored: theirs });
      }),
      { numRuns: 120 },
    );
    expect(storedCount).toBeGreaterThan(10);
    expect(runs - storedCount).toBeGreaterThan(10);
    expect(spy).toHaveBeenCalled();
  }, 120_000);

  it('Vary: each variant stored apart, served to its own requests', async () => {
    const en1 = await get('/vary', { 'accept-language': 'en' });
    const fr1 = await get('/vary', { 'accept-language': 'fr' });
    const en2 = await get('/vary', { 'accept-language': 'en' });
    const fr2 = await get('/vary', { 'accept-language': 'fr' });
    expect(en1.body.toString()).toBe('lang=en #1');
    expect(fr1.body.toString()).toBe('lang=fr #2');
    expect(en2.body.toString()).toBe('lang=en #1');
    expect(fr2.body.toString()).toBe('lang=fr #2');
    expect(hits.get('/vary')).toBe(2);
    // The first took the new miss path; the second found the key holding a variant (the interceptor's path).
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('no-store and Set-Cookie responses are never stored', async () => {
    for (const path of ['/nostore', '/cookie']) {
      const a = await get(path);
      const b = await get(path);
      expect(a.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
      expect(b.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
      expect(b.body.toString()).toBe(`${path} #2`);
      expect(hits.get(path)).toBe(2);
    }
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it('a response that dies mid-body is not stored', async () => {
    await expect(get('/broken')).rejects.toThrow();
    await expect(get('/broken')).rejects.toThrow();
    expect(hits.get('/broken')).toBe(2);
    expect(spy).toHaveBeenCalledTimes(2);
    const ok = await get('/ok');
    const again = await get('/ok');
    expect(again.headers['cache-status']).toBe('af-routes; hit');
    expect(again.body.toString()).toBe(ok.body.toString());
  });

  it('holds at most maxEntries and maxBytes under 10,000 distinct URLs', async () => {
    const bounded = await startPolicyProxy({ '/*': { target: upstream.url, cache: true } }, { cache: { maxEntries: 500, maxBytes: 40_000 } });
    const client = new Agent({ connections: 16 });
    let store: BoundedCacheStore | undefined;
    try {
      for (let batch = 0; batch < 10_000; batch += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const r = await undiciRequest(`${bounded.url}/many/${batch + j}`, { dispatcher: client });
            await r.body.dump();
          }),
        );
        store ??= (spy.mock.contexts.at(-1) as unknown as { store: BoundedCacheStore } | undefined)?.store;
        const s = store!.stats();
        if (s.entries > 500 || s.bytes > 40_000) throw new Error(`bound exceeded after ${batch + 50} URLs: ${JSON.stringify(s)}`);
      }
      // Every one of them took the new miss path, but the proxy's first request (it creates the
      // route cache, so the hit path had not looked the key up).
      expect(spy).toHaveBeenCalledTimes(9_999);
      expect(store!.stats().entries).toBe(400);
      const newest = await rawRequest(bounded.url, { path: '/many/9999' });
      expect(newest.headers['cache-status']).toBe('af-routes; hit');
      const oldest = await rawRequest(bounded.url, { path: '/many/0' });
      expect(oldest.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    } finally {
      await client.close();
      await bounded.close();
    }
  }, 180_000);
});
