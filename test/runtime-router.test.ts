/**
 * The Functions runtime (SPEC section 9): per-function tables loaded through the host's loader,
 * cached (TTL, LRU bound), updated without a restart, one load for concurrent misses, the last
 * good table kept when the loader fails, and an invalid table falling through to the function's
 * own code. Real upstreams and a real Node server in front, on 127.0.0.1.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  createNodeRuntimeRouter,
  createRuntimeRouter,
  RoutesValidationError,
  type NodeRuntimeRouter,
  type NodeRuntimeRouterOptions,
  type RuntimeAccessLogEntry,
} from '../src/index.js';
import { echoHandler, eventually, rawRequest, sleep, startServer, type TestServer } from './support/servers.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';

const track = closeAfterEachAndCheckSockets();

/** Two upstreams that answer with their name. */
async function upstreams(): Promise<{ a: TestServer; b: TestServer }> {
  const a = await track(startServer((_req, res) => res.end('A')));
  const b = await track(startServer((_req, res) => res.end('B')));
  return { a, b };
}

/** A runtime (policy off: the upstreams are on loopback) behind a Node server whose function answers "function". */
async function runtimeServer(options: Omit<NodeRuntimeRouterOptions, 'blockPrivateNetworks'>): Promise<{ runtime: NodeRuntimeRouter; server: TestServer }> {
  const runtime = await track(createNodeRuntimeRouter({ blockPrivateNetworks: false, ...options }));
  const server = await track(
    startServer((req, res) => {
      const fn = (req.headers['x-function'] as string | undefined) ?? 'fn';
      void runtime.handleNodeRequest(fn, req, res).then((proxied) => {
        if (!proxied) res.end('function'); // the user's own code
      });
    }),
  );
  return { runtime, server };
}

const text = async (url: string, path: string, headers: Record<string, string> = {}) => (await rawRequest(url, { path, headers })).body.toString();

describe('route updates', () => {
  it('take effect after invalidate, without a restart', async () => {
    const { a, b } = await upstreams();
    let table: Record<string, string> = { '/api/*': a.url };
    let loads = 0;
    const { runtime, server } = await runtimeServer({ ttlMs: 60_000, loadRoutes: () => (loads++, table) });
    expect(await text(server.url, '/api/x')).toBe('A');
    table = { '/api/*': b.url };
    expect(await text(server.url, '/api/x')).toBe('A'); // cached
    runtime.invalidate('fn');
    expect(await text(server.url, '/api/x')).toBe('B');
    expect(await text(server.url, '/other')).toBe('function');
    expect(loads).toBe(2);
  });

  it('take effect after the TTL (injected clock, then a real one)', async () => {
    const { a, b } = await upstreams();
    let table: Record<string, string> = { '/*': a.url };
    let clock = 1_000;
    const { server } = await runtimeServer({ ttlMs: 5_000, now: () => clock, loadRoutes: () => table });
    expect(await text(server.url, '/')).toBe('A');
    table = { '/*': b.url };
    clock += 4_999;
    expect(await text(server.url, '/')).toBe('A');
    clock += 2;
    expect(await text(server.url, '/')).toBe('B');

    const real = await track(createRuntimeRouter({ ttlMs: 50, blockPrivateNetworks: false, loadRoutes: () => table }));
    table = { '/*': a.url };
    expect(await (await real.handleRequest('f', new Request('http://f.test/')))!.text()).toBe('A');
    table = { '/*': b.url };
    await sleep(80);
    expect(await (await real.handleRequest('f', new Request('http://f.test/')))!.text()).toBe('B');
  });

  it('200 concurrent requests during an update all succeed', async () => {
    const { a, b } = await upstreams();
    let table: Record<string, string> = { '/api/*': a.url };
    let loads = 0;
    const { runtime, server } = await runtimeServer({
      ttlMs: 60_000,
      loadRoutes: async () => {
        loads++;
        await sleep(20);
        return table;
      },
    });
    expect(await text(server.url, '/api/warm')).toBe('A');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const get = (i: number) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.port, path: `/api/${i}`, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
          })
          .on('error', reject);
      });
    const pending: Promise<{ status: number; body: string }>[] = [];
    for (let i = 0; i < 200; i++) {
      pending.push(get(i));
      if (i === 80) {
        table = { '/api/*': b.url };
        runtime.invalidate('fn');
      }
      if (i % 20 === 0) await sleep(2);
    }
    const results = await Promise.all(pending);
    agent.destroy();
    expect(results.every((r) => r.status === 200 && (r.body === 'A' || r.body === 'B'))).toBe(true);
    expect(results.filter((r) => r.body === 'B').length).toBeGreaterThan(0);
    expect(await text(server.url, '/api/after')).toBe('B');
    expect(loads).toBeLessThanOrEqual(3);
  });

  it('200 concurrent fetch requests during an update all succeed', async () => {
    const { a, b } = await upstreams();
    let table: Record<string, string> = { '/*': a.url };
    const runtime = await track(createNodeRuntimeRouter({ blockPrivateNetworks: false, loadRoutes: async () => (await sleep(10), table) }));
    const pending: Promise<Response | null>[] = [];
    for (let i = 0; i < 200; i++) {
      pending.push(runtime.handleRequest('fn', new Request(`http://fn.test/${i}`)));
      if (i === 100) {
        table = { '/*': b.url };
        runtime.invalidate('fn');
      }
    }
    const bodies = await Promise.all(pending.map(async (p) => ((await p)!.status === 200 ? (await p)!.text() : 'failed')));
    expect(bodies.every((t) => t === 'A' || t === 'B')).toBe(true);
    expect(bodies.slice(101).every((t) => t === 'B')).toBe(true); // requests after invalidate() never see the old table
  });
});

describe('loader', () => {
  it('a failing loader keeps the last good table serving, and reports', async () => {
    const { a } = await upstreams();
    let fail = false;
    const errors: unknown[] = [];
    const { runtime, server } = await runtimeServer({
      ttlMs: 60_000,
      retryMs: 10_000,
      onLoadError: (_fn, err) => errors.push(err),
      loadRoutes: () => {
        if (fail) throw new Error('database down');
        return { '/*': a.url };
      },
    });
    expect(await text(server.url, '/x')).toBe('A');
    fail = true;
    runtime.invalidate('fn');
    expect(await text(server.url, '/x')).toBe('A');
    expect(await text(server.url, '/y')).toBe('A');
    expect(errors).toHaveLength(1); // retried only after retryMs
    expect((errors[0] as Error).message).toBe('database down');
    expect(runtime.stats()).toMatchObject({ loadErrors: 1 });
  });

  it('a loader that hangs past loadTimeoutMs counts as failed', async () => {
    const { a } = await upstreams();
    let hang = false;
    const errors: unknown[] = [];
    const runtime = await track(
      createNodeRuntimeRouter({
        blockPrivateNetworks: false,
        loadTimeoutMs: 50,
        onLoadError: (_fn, err) => errors.push(err),
        loadRoutes: () => (hang ? new Promise(() => {}) : { '/*': a.url }),
      }),
    );
    expect(await (await runtime.handleRequest('fn', new Request('http://f.test/')))!.text()).toBe('A');
    hang = true;
    runtime.invalidate('fn');
    expect(await (await runtime.handleRequest('fn', new Request('http://f.test/')))!.text()).toBe('A');
    expect(errors[0]).toMatchObject({ code: 'ERR_LOAD_TIMEOUT' });
  });

  it('concurrent cold misses call the loader once', async () => {
    const { a } = await upstreams();
    let loads = 0;
    const runtime = await track(
      createNodeRuntimeRouter({
        blockPrivateNetworks: false,
        loadRoutes: async () => {
          loads++;
          await sleep(30);
          return { '/*': a.url };
        },
      }),
    );
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => runtime.handleRequest('cold', new Request(`http://f.test/${i}`))));
    expect(loads).toBe(1);
    expect(results.every((r) => r !== null && r.status === 200)).toBe(true);
    await Promise.all(results.map((r) => r!.text()));
  });

  it('an invalid table falls through to the function and is reported once per load', async () => {
    const { a } = await upstreams();
    const reports: [string, RoutesValidationError][] = [];
    const { runtime, server } = await runtimeServer({
      onInvalidRoutes: (fn, err) => reports.push([fn, err]),
      loadRoutes: (fn) => (fn === 'broken' ? { '/api/*': 'ftp://files.example', '/ok': a.url } : fn === 'garbled' ? '{not json' : { '/*': a.url }),
    });
    expect(await text(server.url, '/api/x', { 'x-function': 'broken' })).toBe('function');
    expect(await text(server.url, '/ok', { 'x-function': 'broken' })).toBe('function');
    expect(await runtime.handleRequest('broken', new Request('http://f.test/ok'))).toBeNull();
    expect(reports).toHaveLength(1);
    expect(reports[0]![0]).toBe('broken');
    expect(reports[0]![1]).toBeInstanceOf(RoutesValidationError);
    expect(reports[0]![1].issues.map((i) => i.code)).toEqual(['target-bad-protocol']);
    expect(await text(server.url, '/x', { 'x-function': 'garbled' })).toBe('function');
    expect(reports[1]![1].issues[0]!.code).toBe('routes-not-object');
    expect(await text(server.url, '/x', { 'x-function': 'fine' })).toBe('A');
  });

  it('accepts a stored JSON string; null means no routes', async () => {
    const { a } = await upstreams();
    const runtime = await track(createNodeRuntimeRouter({ blockPrivateNetworks: false, loadRoutes: (fn) => (fn === 'json' ? JSON.stringify({ '/*': a.url }) : null) }));
    expect(await (await runtime.handleRequest('json', new Request('http://f.test/')))!.text()).toBe('A');
    expect(await runtime.handleRequest('none', new Request('http://f.test/'))).toBeNull();
  });
});

describe('cache', () => {
  it('is bounded: the least recently used function is evicted', async () => {
    const { a } = await upstreams();
    const loads: string[] = [];
    const runtime = await track(createNodeRuntimeRouter({ blockPrivateNetworks: false, maxEntries: 2, loadRoutes: (fn) => (loads.push(fn), { '/*': a.url }) }));
    for (const fn of ['f1', 'f2', 'f1', 'f3', 'f1', 'f2']) await runtime.getRouter(fn);
    expect(loads).toEqual(['f1', 'f2', 'f3', 'f2']);
    expect(runtime.stats()).toMatchObject({ size: 2, evictions: 2, hits: 2, loads: 4 });
  });
});

describe('interfaces', () => {
  it('adapts the invocation shape { method, path, headers, query, body } (method in any case)', async () => {
    const up = await track(startServer(echoHandler()));
    const runtime = await track(createNodeRuntimeRouter({ blockPrivateNetworks: false, loadRoutes: () => ({ '/api/*': `${up.url}/v1` }) }));
    const res = (await runtime.handleInvocation('fn', {
      method: 'post',
      path: '/api/items',
      headers: { 'content-type': 'application/json', 'content-length': '999', host: 'fn.example' },
      query: { a: '1', b: ['2', '3 4'] },
      body: { hello: 'wörld' },
    }))!;
    const echoed = (await res.json()) as { method: string; url: string; headers: Record<string, string>; bodyBase64: string };
    expect(echoed.method).toBe('POST');
    expect(echoed.url).toBe('/v1/items?a=1&b=2&b=3%204');
    expect(Buffer.from(echoed.bodyBase64, 'base64').toString()).toBe('{"hello":"wörld"}');
    expect(echoed.headers['content-length']).toBe(String(Buffer.byteLength('{"hello":"wörld"}')));
    expect(echoed.headers['x-forwarded-host']).toBe('fn.example');
    expect(echoed.headers['x-forwarded-proto']).toBe('https');
    const get = (await runtime.handleInvocation('fn', { method: 'Get', path: '/api/x?z=9', body: 'ignored' }))!;
    expect(((await get.json()) as { method: string; url: string }).url).toBe('/v1/x?z=9');
    expect(await runtime.handleInvocation('fn', { method: 'get', path: '/elsewhere' })).toBeNull();
    const bad = (await runtime.handleInvocation('fn', { method: 'GET', path: '/api/%2F' }))!;
    expect(bad.status).toBe(400);
  });

  it('runs on the platform fetch (createRuntimeRouter, no Node transport) and logs with the function id', async () => {
    const up = await track(startServer(echoHandler()));
    const log: RuntimeAccessLogEntry[] = [];
    const runtime = createRuntimeRouter({ blockPrivateNetworks: false, loadRoutes: () => ({ '/*': up.url }), onRequest: (e) => log.push(e) });
    const res = (await runtime.handleRequest('fn-7', new Request('http://f.test/hello?x=1'), { clientAddress: '9.8.7.6' }))!;
    const echoed = (await res.json()) as { url: string; headers: Record<string, string> };
    expect(echoed.url).toBe('/hello?x=1');
    expect(echoed.headers['x-forwarded-for']).toBe('9.8.7.6');
    expect(log).toEqual([expect.objectContaining({ functionId: 'fn-7', route: '/*', status: 200, upstreamStatus: 200 })]);
  });

  it('the Node variant logs with the function id and answers 400 for a bad path', async () => {
    const up = await track(startServer(echoHandler()));
    const log: RuntimeAccessLogEntry[] = [];
    const { server } = await runtimeServer({ loadRoutes: () => ({ '/*': up.url }), onRequest: (e) => log.push(e) });
    expect((await rawRequest(server.url, { path: '/ok' })).status).toBe(200);
    const bad = await rawRequest(server.url, { path: '/a%00' });
    expect(bad.status).toBe(400);
    await eventually(() => log.length === 2);
    expect(log[0]).toMatchObject({ functionId: 'fn', path: '/ok', status: 200 });
    expect(log[1]).toMatchObject({ functionId: 'fn', status: 400, error: 'encoded-nul' });
  });
});
