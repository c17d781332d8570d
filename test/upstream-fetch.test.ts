/**
 * SPEC 11 on the fetch-standard side (handler, runtime) against real upstreams on 127.0.0.1,
 * through the platform's `fetch` and through undici; and the registry's life cycle: state kept
 * across a hot reload for targets that stay, active checks stopped when a router is replaced,
 * a runtime entry evicted, or the proxy closed.
 */
import { describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createFetchTransport, createRuntimeRouter, createUndiciTransport, type AccessLogEntry, type Router } from '../src/index.js';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { RegistryState } from '../src/upstream/registry.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { closedPort, eventually, sleep, startServer, type TestServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

function table(value: unknown, pattern = '/api/*'): Router {
  return compile({ [pattern]: value } as Record<string, string>, { backend: 'js' });
}

async function named(name: string, status = 200): Promise<TestServer & { hits: () => number; bodies: string[] }> {
  let hits = 0;
  const bodies: string[] = [];
  const s = await track(
    startServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        hits++;
        bodies.push(b);
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(name);
      });
    }),
  );
  return Object.assign(s, { hits: () => hits, bodies });
}

const transports = {
  'platform fetch': () => ({ transport: createFetchTransport(), close: async () => {} }),
  undici: () => {
    const t = createUndiciTransport();
    return { transport: t, close: () => t.close() };
  },
};

describe.each(Object.entries(transports))('fetch handler over %s', (_name, make) => {
  it('balances round-robin and retries a dead target on another (0 errors over 300 requests)', async () => {
    const [a, b] = await Promise.all([named('a'), named('b')]);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const t = await track(make());
    const events: RoutingEvent[] = [];
    const log: AccessLogEntry[] = [];
    const handler = createFetchHandler({
      router: table({ targets: [a.url, dead, b.url] }),
      transport: t.transport,
      events: { emit: (e) => events.push(e) },
      onRequest: (e) => log.push(e),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = (await handler(new Request('http://gw.test/api/x')))!;
      await r.text();
      statuses.push(r.status);
    }
    handler.close?.();
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(a.hits() + b.hits()).toBe(300);
    expect(Math.abs(a.hits() - b.hits())).toBeLessThanOrEqual(2);
    expect(events.filter((e) => e.type === 'ejection').map((e) => (e as { target: string }).target)).toEqual([dead]);
    expect(log.filter((e) => e.attempts === 2).length).toBe(5);
  });

  it('retries a 503 with a replayable body on another target', async () => {
    const bad = await named('bad', 503);
    const good = await named('good');
    const t = await track(make());
    const handler = createFetchHandler({ router: table({ targets: [bad.url, good.url], retry: { attempts: 1, on: ['gateway-error'] } }), transport: t.transport });
    const r = (await handler(new Request('http://gw.test/api/x', { method: 'PUT', body: 'payload' })))!;
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('good');
    expect(bad.bodies).toEqual(['payload']);
    expect(good.bodies).toEqual(['payload']);
    handler.close?.();
  });

  it('a body over bufferLimit is sent once and not replayed', async () => {
    const bad = await named('bad', 503);
    const good = await named('good');
    const t = await track(make());
    const router = table({ targets: [bad.url, good.url], retry: { attempts: 1, on: ['gateway-error'], bufferLimit: '1KB' } });
    const handler = createFetchHandler({ router, transport: t.transport });
    const big = 'x'.repeat(5_000);
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode(big)), c.close()) });
    const r = (await handler(new Request('http://gw.test/api/x', { method: 'PUT', body: stream, duplex: 'half' } as RequestInit)))!;
    expect(r.status).toBe(503);
    await r.text();
    expect(bad.bodies).toEqual([big]);
    expect(good.hits()).toBe(0);
    handler.close?.();
  });

  it('the route timeout holds across retries: 504', async () => {
    const h1 = await track(startServer(() => {}));
    const h2 = await track(startServer(() => {}));
    const t = await track(make());
    const events: RoutingEvent[] = [];
    const handler = createFetchHandler({
      router: table({ targets: [h1.url, h2.url], timeout: '450ms', retry: { attempts: 5, on: ['timeout'], perTryTimeout: '100ms' } }),
      transport: t.transport,
      events: { emit: (e) => events.push(e) },
    });
    const r = (await handler(new Request('http://gw.test/api/x')))!;
    expect(r.status).toBe(504);
    const retries = events.filter((e) => e.type === 'retry').length;
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(4);
    handler.close?.();
  });
});

describe('registry life cycle', () => {
  const router = (targets: string[], active = true, name = 'orders') =>
    table({ name, targets, healthCheck: active ? { active: { path: '/healthz', interval: '20ms', timeout: '10ms' } } : undefined });

  it("keeps a staying target's state across a reload; stops checks of routes that left and on close", async () => {
    const probes: string[] = [];
    const reg = new RegistryState({ prober: async (url) => (probes.push(url), 200) });
    const r1 = router(['http://a.test', 'http://b.test']);
    reg.attach(r1);
    expect(reg.probing).toBe(2);
    const v1 = r1.routes[0]!.variants[0]!;
    const up = reg.route(r1, v1);
    for (let i = 0; i < 5; i++) up.end(up.begin(0), 'failure');
    expect(up.targets[0]!.ejected).toBe(true);
    const r2 = router(['http://a.test', 'http://c.test']);
    const up2 = reg.route(r2, r2.routes[0]!.variants[0]!);
    expect(up2).toBe(up);
    expect(up2.targets.map((t) => [t.url, t.ejected])).toEqual([
      ['http://a.test', true],
      ['http://c.test', false],
    ]);
    expect(reg.probing).toBe(2);
    await eventually(() => probes.includes('http://c.test/healthz'), 2_000, 'the new target to be probed');
    reg.attach(table('http://z.test'));
    expect(reg.probing).toBe(0);
    const before = probes.length;
    await sleep(80);
    expect(probes.length).toBe(before);
    reg.attach(r1, 'fn-1');
    expect(reg.probing).toBe(2);
    reg.close();
    expect(reg.probing).toBe(0);
  });

  it("the runtime drops a function's state when its cache entry is evicted, and on close", async () => {
    const checks = new Map<string, number>();
    const server = async (name: string) =>
      track(
        startServer((req, res) => {
          if (req.url === '/healthz') checks.set(name, (checks.get(name) ?? 0) + 1);
          res.end(name);
        }),
      );
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map(server));
    const targets: Record<string, string[]> = { 'fn-1': [a!.url, b!.url], 'fn-2': [c!.url, d!.url] };
    const runtime = createRuntimeRouter({
      loadRoutes: (id) => ({ '/api/*': { targets: targets[id], healthCheck: { active: { path: '/healthz', interval: '30ms', timeout: '20ms' } } } }),
      maxEntries: 1,
      blockPrivateNetworks: false,
      transport: createFetchTransport(),
    });
    const r1 = (await runtime.handleRequest('fn-1', new Request('http://x/api/1')))!;
    expect(r1.status).toBe(200);
    await r1.text();
    await eventually(() => (checks.get('a') ?? 0) >= 2, 2_000, 'fn-1 probes');
    // Evict fn-1 by loading fn-2 (maxEntries 1): fn-1's checks stop, fn-2's start.
    const r2 = (await runtime.handleRequest('fn-2', new Request('http://x/api/1')))!;
    await r2.text();
    expect(runtime.stats().evictions).toBe(1);
    await sleep(40);
    const aAfterEviction = checks.get('a') ?? 0;
    await eventually(() => (checks.get('c') ?? 0) >= 2, 2_000, 'fn-2 probes');
    expect(checks.get('a') ?? 0).toBe(aAfterEviction);
    await runtime.close();
    await sleep(40);
    const cAfterClose = checks.get('c') ?? 0;
    await sleep(120);
    expect(checks.get('c') ?? 0).toBe(cAfterClose);
  });
  it('a function whose table becomes invalid lets go of its state at once (checks stop), and gets it back when valid', async () => {
    let probes = 0;
    const a = await track(
      startServer((req, res) => {
        if (req.url === '/healthz') probes++;
        res.end('a');
      }),
    );
    let stored: unknown = { '/api/*': { targets: [a.url, a.url + '/b'], healthCheck: { active: { path: '/healthz', interval: '30ms', timeout: '20ms' } } } };
    const invalid: string[] = [];
    const runtime = createRuntimeRouter({
      loadRoutes: () => stored,
      onInvalidRoutes: (id) => invalid.push(id),
      blockPrivateNetworks: false,
      transport: createFetchTransport(),
    });
    const first = (await runtime.handleRequest('fn-1', new Request('http://x/api/1')))!;
    expect(first.status).toBe(200);
    await first.text();
    await eventually(() => probes >= 2, 2_000, 'probes of the valid table');
    stored = { '/api/*': { targets: [a.url], loadBalancer: 'no-such-strategy' } };
    runtime.invalidate('fn-1');
    expect(await runtime.handleRequest('fn-1', new Request('http://x/api/1'))).toBeNull();
    expect(invalid).toEqual(['fn-1']);
    await sleep(40);
    const afterInvalid = probes;
    await sleep(150);
    expect(probes).toBe(afterInvalid);
    stored = { '/api/*': { targets: [a.url, a.url + '/b'], healthCheck: { active: { path: '/healthz', interval: '30ms', timeout: '20ms' } } } };
    runtime.invalidate('fn-1');
    const again = (await runtime.handleRequest('fn-1', new Request('http://x/api/1')))!;
    expect(again.status).toBe(200);
    await again.text();
    await eventually(() => probes >= afterInvalid + 2, 2_000, 'probes once the table is valid again');
    await runtime.close();
  });
});
