/**
 * The miss path's own body collection (src/policies/cache/node-miss.ts `StoringHandler`, which
 * keeps the first chunk in a field and only further chunks in an array, and stores through
 * `BoundedCacheStore.put` once the client's response has ended), on a real loopback upstream
 * that sends its bodies in several writes: a body of many chunks is stored whole and in order, a
 * body that passes the route's `maxEntrySize` only in a later chunk is not stored, and an empty
 * body is stored as one. A spy on StoringHandler shows each miss took that path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoringHandler } from '../src/policies/cache/node-miss.js';
import { startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

const hits = new Map<string, number>();
let upstream: TestServer;
let proxy: PolicyProxy;

/** `/parts/<n>/...`: n writes of "<i>-abcdefgh;" a few ms apart (separate chunks at the proxy); `/empty/...`: no body. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const n = (hits.get(path) ?? 0) + 1;
  hits.set(path, n);
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', 'x-served': String(n) });
  if (path.startsWith('/empty/')) return void res.end();
  const parts = Number(/^\/parts\/(\d+)\//.exec(path)?.[1] ?? '1');
  let i = 0;
  const next = () => {
    if (i === parts) return void res.end();
    res.write(`${i++}-abcdefgh;`, () => setTimeout(next, 5));
  };
  next();
}

const spy = vi.spyOn(StoringHandler.prototype, 'onResponseEnd');

beforeAll(async () => {
  upstream = await startServer(handler);
  proxy = await startPolicyProxy({ '/*': { target: upstream.url, cache: { maxEntrySize: '40B' } } });
  // The route cache is made by a cached route's first request (which takes the interceptor).
  await rawRequest(proxy.url, { path: '/warm' });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

const get = (path: string) => rawRequest(proxy.url, { path });
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('the miss path collects the body itself', () => {
  it('stores a body of several chunks whole and in order', async () => {
    spy.mockClear();
    const first = await get('/parts/3/a');
    expect(first.body.toString()).toBe('0-abcdefgh;1-abcdefgh;2-abcdefgh;');
    expect(first.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(spy).toHaveBeenCalledTimes(1);
    await settle();
    const again = await get('/parts/3/a');
    expect(again.headers['cache-status']).toBe('af-routes; hit');
    expect(again.body.toString()).toBe('0-abcdefgh;1-abcdefgh;2-abcdefgh;');
    expect(again.headers['content-length']).toBe('33');
    expect(hits.get('/parts/3/a')).toBe(1);
  });

  it('does not store a body that passes maxEntrySize only in a later chunk, and still sends it whole', async () => {
    // 4 chunks of 11 bytes: 44 > 40, passed by the fourth.
    const first = await get('/parts/4/b');
    expect(first.body.toString()).toBe('0-abcdefgh;1-abcdefgh;2-abcdefgh;3-abcdefgh;');
    await settle();
    const again = await get('/parts/4/b');
    expect(again.headers['cache-status']).toBe('af-routes; fwd=uri-miss');
    expect(again.headers['x-served']).toBe('2');
  });

  it('stores one chunk and an empty body', async () => {
    await get('/parts/1/c');
    await get('/empty/d');
    await settle();
    const one = await get('/parts/1/c');
    const empty = await get('/empty/d');
    expect([one.headers['cache-status'], one.body.toString(), one.headers['x-served']]).toEqual(['af-routes; hit', '0-abcdefgh;', '1']);
    expect([empty.headers['cache-status'], empty.body.length, empty.headers['x-served']]).toEqual(['af-routes; hit', 0, '1']);
  });
});
