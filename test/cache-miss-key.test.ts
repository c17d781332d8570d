/**
 * How the route cache's hit path hands a miss to the miss path on Node: the key it found empty
 * travels on the request's own policy context (`emptyCacheKey`, src/policies/cache/node-cache.ts
 * `emptyKeyFor`), not in a slot of the shared cache object. On a real loopback upstream:
 * concurrent misses of two callers on one path each store their own response under their own
 * key; a request rule that makes the upstream request ask the cache something sends the miss
 * through undici's interceptor instead. And the last-date memo of `parseHttpDate` (a miss reads
 * the upstream's `Date`, the same string for a second) answers as undici's parser in any order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseHttpDate } from '../src/policies/cache/http-date.js';
import { emptyKeyFor } from '../src/policies/cache/node-cache.js';
import { StoringHandler } from '../src/policies/cache/node-miss.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

const require = createRequire(import.meta.url);
const undiciDate = require('undici/lib/util/date.js') as { parseHttpDate(s: string): Date | undefined };

const hits = new Map<string, number>();
const seen: { path: string; cacheControl: string | undefined }[] = [];
function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const n = (hits.get(path) ?? 0) + 1;
  hits.set(path, n);
  seen.push({ path, cacheControl: req.headers['cache-control'] });
  // Answered a little later, so two concurrent requests are both in flight at once.
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
    res.end(`${path} #${n} for ${String(req.headers['x-caller'])}`);
  }, 20);
}

let upstream: TestServer;
let proxy: PolicyProxy;
const spy = vi.spyOn(StoringHandler.prototype, 'onResponseStart');

beforeAll(async () => {
  upstream = await startServer(handler);
  const keys = [await keyHash('key-a'), await keyHash('key-b')];
  proxy = await startPolicyProxy({
    '/auth/*': { target: upstream.url, auth: { type: 'apiKey', keys }, cache: true },
    '/asks/*': { target: upstream.url, cache: true, requestHeaders: { set: { 'cache-control': 'max-age=0' } } },
  });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});
afterEach(() => {
  spy.mockClear();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(proxy.url, { path, headers });

describe('the empty key travels with its request', () => {
  it('concurrent misses of two callers on one path store each response under its own caller', async () => {
    // The route cache is created by a route's first request (which takes the interceptor).
    await get('/auth/warm', { 'x-api-key': 'key-a', 'x-caller': 'a' });
    spy.mockClear();
    const [a1, b1] = await Promise.all([get('/auth/same', { 'x-api-key': 'key-a', 'x-caller': 'a' }), get('/auth/same', { 'x-api-key': 'key-b', 'x-caller': 'b' })]);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(a1.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(b1.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    const [a2, b2] = await Promise.all([get('/auth/same', { 'x-api-key': 'key-a', 'x-caller': 'a' }), get('/auth/same', { 'x-api-key': 'key-b', 'x-caller': 'b' })]);
    expect(a2.headers['cache-status']).toBe('af-routes; hit');
    expect(b2.headers['cache-status']).toBe('af-routes; hit');
    expect(a2.body.toString()).toBe(a1.body.toString());
    expect(b2.body.toString()).toBe(b1.body.toString());
    expect(a2.body.toString()).toMatch(/ for a$/);
    expect(b2.body.toString()).toMatch(/ for b$/);
    expect(hits.get('/same')).toBe(2);
  });

  it('a miss whose upstream request asks the cache (a request rule) takes the interceptor', async () => {
    await get('/asks/warm');
    spy.mockClear();
    const first = await get('/asks/one');
    const second = await get('/asks/one');
    // Never the interceptor-less path: its request asks for revalidation (max-age=0).
    expect(spy).not.toHaveBeenCalled();
    expect(first.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(seen.filter((s) => s.path === '/one').every((s) => s.cacheControl === 'max-age=0')).toBe(true);
    expect(second.status).toBe(200);
  });

  it('emptyKeyFor: the key only for the origin and query it was built with, and only when the upstream request asks nothing', () => {
    const headerName = fc.constantFrom('cache-control', 'pragma', 'if-none-match', 'if-modified-since', 'accept', 'x-a');
    const word = fc.constantFrom('', 'a=1', 'b=2', 'http://a', 'http://b');
    fc.assert(
      fc.property(
        fc.option(fc.string(), { nil: undefined }),
        fc.record({ origin: word, query: word }),
        fc.record({ origin: word, query: word }),
        fc.dictionary(headerName, fc.string()),
        (key, built, now, headers) => {
          const asks = ['cache-control', 'pragma', 'if-none-match', 'if-modified-since'].some((n) => headers[n] !== undefined);
          const want = key !== undefined && built.origin === now.origin && built.query === now.query && !asks ? key : null;
          const ctx = { query: now.query, emptyCacheKey: key, emptyCacheOrigin: built.origin, emptyCacheQuery: built.query };
          expect(emptyKeyFor(ctx, now.origin, headers)).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
    expect(emptyKeyFor({ query: '' }, 'http://a', {})).toBeNull();
  });
});

describe('parseHttpDate keeps the last date it read', () => {
  it('answers as undici for any sequence of dates, repeats included', () => {
    const base = Date.UTC(2026, 10, 29, 23, 0, 0);
    const dates = [0, 1, 2, 86_400, -1].map((s) => new Date(base + s * 1000).toUTCString());
    // Same length (29), not dates, or a wrong weekday: a repeat of each must answer the same.
    const pool = [...dates, 'Mon, 29 Nov 2026 23:00:00 GMT', 'Sun, 29 Nov 2026 23:00:00 XYZ', 'x'.repeat(29), 'Sun, 29 Nov 2026 23:00:00 GMT '];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 30 }), (sequence) => {
        for (const s of sequence) expect(parseHttpDate(s)).toBe(undiciDate.parseHttpDate(s)?.getTime());
      }),
      { numRuns: 500 },
    );
  });
});
