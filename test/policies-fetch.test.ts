/**
 * SPEC 12 in the fetch-standard pipeline: the functions runtime (`createRuntimeRouter`, the
 * platform's `fetch` as transport) runs auth, rate limits, header rules and says what it does
 * not cache; refusals are answered without running the function or reaching the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchTransport, createRuntimeRouter } from '../src/index.js';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { keyHash } from './support/policies.js';
import { echoHandler, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
let hits = 0;
let now = 5_000_000;
const events: RoutingEvent[] = [];
let runtime: ReturnType<typeof createRuntimeRouter>;
beforeAll(async () => {
  upstream = await startServer(echoHandler(() => hits++));
  const key = await keyHash('fn-key');
  runtime = createRuntimeRouter({
    loadRoutes: () => ({
      '/api/*': { target: upstream.url, auth: { type: 'apiKey', keys: [key] }, rateLimit: { requests: 2, per: '1m' }, cache: true, responseHeaders: { set: { 'x-gw': '1' } } },
      '/open/*': upstream.url,
    }),
    blockPrivateNetworks: false,
    transport: createFetchTransport(),
    clock: () => now,
    trustedProxies: ['10.0.0.0/8'],
    events: { emit: (e) => events.push(e) },
  });
});
afterAll(async () => {
  await runtime.close();
  await upstream.close();
});

const call = (path: string, headers: Record<string, string> = {}, clientAddress = '10.1.1.1') =>
  runtime.handleRequest('fn1', new Request(`http://fn.test${path}`, { headers }), { clientAddress }) as Promise<Response>;

describe('policies in the functions runtime', () => {
  it('refuses a missing key with 401 JSON without reaching the upstream', async () => {
    const res = await call('/api/x');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(res.headers.get('x-gw')).toBe('1');
    expect(hits).toBe(0);
  });

  it('forwards a good key (stripped), rate-limits per client behind the trusted proxy, and caches the answer', async () => {
    const ok = await call('/api/x', { 'x-api-key': 'fn-key', 'x-forwarded-for': '198.51.100.9' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { headers: Record<string, string> }).headers['x-api-key']).toBeUndefined();
    expect(ok.headers.get('cache-status')).toBe('af-routes; fwd=uri-miss');
    expect(ok.headers.get('ratelimit-policy')).toBe('"default";q=2;w=60');
    expect(ok.headers.get('x-gw')).toBe('1');
    expect((await call('/api/x', { 'x-api-key': 'fn-key', 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);
    const limited = await call('/api/x', { 'x-api-key': 'fn-key', 'x-forwarded-for': '198.51.100.9' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    // Another client behind the same proxy has its own bucket.
    expect((await call('/api/x', { 'x-api-key': 'fn-key', 'x-forwarded-for': '198.51.100.10' })).status).toBe(200);
    now += 30_000;
    expect((await call('/api/x', { 'x-api-key': 'fn-key', 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);
    expect(events.filter((e) => e.type === 'rate-limited')).toHaveLength(1);
  });

  it('a route without policies carries no policy headers', async () => {
    const res = await call('/open/x');
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBeNull();
    expect(res.headers.get('cache-status')).toBeNull();
  });
});
