/**
 * SPEC 12 `rateLimit`: the token bucket's laws (fast-check), the bounded in-process store, and
 * the stage through the Node proxy with a controllable clock: exact counts of 429s, refill,
 * IETF headers, keys per IP (trusted proxies), header and JWT claim, and a failing store that
 * lets requests through and is counted.
 */
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeTokens } from '../src/policies/rate-limit/bucket.js';
import { MemoryRateLimitStore } from '../src/policies/rate-limit/memory-store.js';
import type { RateLimitStore } from '../src/policies/rate-limit/store.js';
import { startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { echoHandler, json, rawRequest, startServer, type TestServer } from './support/servers.js';

describe('token bucket', () => {
  it('never grants more than capacity + elapsed * rate over any schedule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 200 }), (capacity, perMs, gaps) => {
        const spec = { capacity, refillPerMs: 1 / perMs };
        const state = { tokens: capacity, updated: 0 };
        let now = 0;
        let granted = 0;
        for (const gap of gaps) {
          now += gap;
          if (takeTokens(state, spec, now).allowed) granted++;
        }
        expect(granted).toBeLessThanOrEqual(capacity + Math.floor(now * spec.refillPerMs) + 1e-9);
      }),
    );
  });

  it('a refused take says when one token will be there, and waiting that long is enough', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10_000 }), (capacity, perMs) => {
        const spec = { capacity, refillPerMs: 1 / perMs };
        const state = { tokens: capacity, updated: 1000 };
        for (let i = 0; i < capacity; i++) expect(takeTokens(state, spec, 1000).allowed).toBe(true);
        const refused = takeTokens(state, spec, 1000);
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(takeTokens(state, spec, 1000 + refused.retryAfterMs).allowed).toBe(true);
      }),
    );
  });

  it('a clock that goes backwards adds no tokens', () => {
    const spec = { capacity: 1, refillPerMs: 1 };
    const state = { tokens: 1, updated: 5000 };
    expect(takeTokens(state, spec, 5000).allowed).toBe(true);
    expect(takeTokens(state, spec, 1000).allowed).toBe(false);
  });
});

describe('MemoryRateLimitStore', () => {
  it('stays within maxKeys under a flood of distinct keys, keeping recent ones', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 1000 });
    const spec = { capacity: 2, refillPerMs: 1 / 60_000 };
    for (let i = 0; i < 20_000; i++) {
      await store.take(`k${i}`, spec, 1_000);
      expect(store.size).toBeLessThanOrEqual(1000);
    }
    // The most recent key keeps its (drained) state.
    await store.take('k19999', spec, 1_000);
    expect((await store.take('k19999', spec, 1_000)).allowed).toBe(false);
  });

  it('drops refilled buckets first (they equal new ones)', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 10 });
    const spec = { capacity: 1, refillPerMs: 1 };
    for (let i = 0; i < 9; i++) await store.take(`idle${i}`, spec, 0);
    await store.take('busy', { capacity: 5, refillPerMs: 1e-9 }, 0);
    await store.take('new', spec, 10_000);
    expect(store.size).toBe(2);
    expect((await store.take('busy', { capacity: 5, refillPerMs: 1e-9 }, 10_000)).remaining).toBe(3);
  });
});

describe('rateLimit through the proxy', () => {
  let upstream: TestServer;
  let hits = 0;
  let now = 1_000_000;
  const clock = () => now;
  let proxy: PolicyProxy;
  let privateKey: CryptoKeyLike;
  type CryptoKeyLike = Parameters<SignJWT['sign']>[0];
  beforeAll(async () => {
    upstream = await startServer(echoHandler(() => hits++));
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = await exportJWK(pair.publicKey);
    proxy = await startPolicyProxy(
      {
        '/ip/*': { target: upstream.url, rateLimit: { requests: 5, per: '1m' } },
        '/hdr/*': { target: upstream.url, rateLimit: { requests: 2, per: '1m', key: 'header:x-tenant' } },
        '/jwt/*': { target: upstream.url, auth: { type: 'jwt', publicKey: jwk }, rateLimit: { requests: 1, per: '1m', key: 'jwt:tenant' } },
        '/route/*': { target: upstream.url, rateLimit: { requests: 3, per: '1s', burst: 3, key: 'route' } },
      },
      { clock, trustedProxies: ['127.0.0.1'] },
    );
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('a burst of N + k gets exactly k 429s, counted, with Retry-After and RateLimit headers', async () => {
    const before = hits;
    const statuses: number[] = [];
    for (let i = 0; i < 5 + 3; i++) {
      const res = await rawRequest(proxy.url, { path: '/ip/x', headers: { 'x-forwarded-for': '203.0.113.7' } });
      statuses.push(res.status);
      expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
      expect(res.headers['ratelimit']).toMatch(/^"default";r=\d+;t=\d+$/);
      if (res.status === 429) {
        expect(res.headers['retry-after']).toBe('12');
        expect(json(res).error.code).toBe('rate-limited');
      }
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(statuses.slice(0, 5).every((s) => s === 200)).toBe(true);
    expect(hits - before).toBe(5);
    expect(proxy.events.filter((e) => e.type === 'rate-limited' && e.route === '/ip/*')).toHaveLength(3);
    // Another client address behind the trusted proxy has its own bucket.
    expect((await rawRequest(proxy.url, { path: '/ip/x', headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(200);
    // An untrusted entry cannot be spoofed past: the rightmost untrusted one counts.
    expect((await rawRequest(proxy.url, { path: '/ip/x', headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } })).status).toBe(429);
  });

  it('refills at the configured rate (controllable clock)', async () => {
    for (let i = 0; i < 3; i++) expect((await rawRequest(proxy.url, { path: '/route/x' })).status).toBe(200);
    expect((await rawRequest(proxy.url, { path: '/route/x' })).status).toBe(429);
    now += 333; // 3 per second: one token every 333.3 ms
    expect((await rawRequest(proxy.url, { path: '/route/x' })).status).toBe(429);
    now += 1;
    const res = await rawRequest(proxy.url, { path: '/route/x' });
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit']).toBe('"default";r=0;t=1');
    now += 1000;
    for (let i = 0; i < 3; i++) expect((await rawRequest(proxy.url, { path: '/route/x' })).status).toBe(200);
  });

  it('keys on a header', async () => {
    for (const tenant of ['a', 'b']) {
      expect((await rawRequest(proxy.url, { path: '/hdr/x', headers: { 'x-tenant': tenant } })).status).toBe(200);
      expect((await rawRequest(proxy.url, { path: '/hdr/x', headers: { 'x-tenant': tenant } })).status).toBe(200);
      expect((await rawRequest(proxy.url, { path: '/hdr/x', headers: { 'x-tenant': tenant } })).status).toBe(429);
    }
  });

  it('keys on a JWT claim', async () => {
    const token = (tenant: string, sub: string) => new SignJWT({ tenant, sub }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(privateKey);
    const call = async (t: string) => (await rawRequest(proxy.url, { path: '/jwt/x', headers: { authorization: `Bearer ${t}` } })).status;
    expect(await call(await token('t1', 'u1'))).toBe(200);
    expect(await call(await token('t1', 'u2'))).toBe(429); // same tenant, other user
    expect(await call(await token('t2', 'u1'))).toBe(200);
  });
});

describe('RateLimit headers on every answer of a limited route', () => {
  it('are on an upstream failure (502) too', async () => {
    const { closedPort } = await import('./support/servers.js');
    const port = await closedPort();
    const proxy = await startPolicyProxy({ '/*': { target: `http://127.0.0.1:${port}`, rateLimit: { requests: 10, per: '1s' } } });
    const res = await rawRequest(proxy.url, { path: '/x' });
    expect(res.status).toBe(502);
    expect(res.headers['ratelimit-policy']).toBe('"default";q=10;w=1');
    expect(res.headers['ratelimit']).toBe('"default";r=9;t=1');
    await proxy.close();
  });
});

describe('a failing store', () => {
  it('lets requests through (fail open) and counts each failure', async () => {
    const upstream = await startServer(echoHandler());
    const broken: RateLimitStore = { take: () => Promise.reject(new Error('redis: connection refused')) };
    const throwing: RateLimitStore = {
      take: () => {
        throw new Error('sync failure');
      },
    };
    for (const store of [broken, throwing]) {
      const proxy = await startPolicyProxy({ '/*': { target: upstream.url, rateLimit: { requests: 1, per: '1h' } } }, { rateLimitStore: store });
      for (let i = 0; i < 3; i++) expect((await rawRequest(proxy.url, { path: '/x' })).status).toBe(200);
      expect(proxy.events.filter((e) => e.type === 'rate-limit-store-error')).toHaveLength(3);
      await proxy.close();
    }
    await upstream.close();
  });
});
