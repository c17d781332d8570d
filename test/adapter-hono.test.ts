/**
 * The Hono adapter (`createHonoMiddleware`) against real Hono on 127.0.0.1 (@hono/node-server)
 * and a real upstream: matched requests are proxied with the socket's client address, the rest
 * reach the app's own routes and 404, and a path that cannot be routed is answered 400/414.
 * Also Hono's `app.request` (no server: the edge/worker shape) with the platform-fetch
 * transport, imported from the portable entry.
 */
import { serve, type HttpBindings, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHonoMiddleware as portableHonoMiddleware, createFetchTransport } from '../src/browser.js';
import { compile, createHonoMiddleware, createUndiciTransport, RoutesValidationError, type HonoMiddleware, type UndiciTransport } from '../src/index.js';
import { deadOrigin, send, startUpstream, type Echo, type Upstream, expectProxiedGet, expectStreamedUpload } from './support-browser/upstream.js';
import { expectRefusedPaths } from './support/refused-paths.js';

let upstream: Upstream;
let dead: string;
let transport: UndiciTransport;
let server: ServerType;
let origin: string;
let appHits = 0;

function appWith(middleware: HonoMiddleware) {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.use('*', middleware);
  app.use('*', async (_c, next) => {
    appHits++; // a request the middleware passed on to the app
    await next();
  });
  app.get('/health', (c) => c.json({ ok: true, from: 'app' }));
  app.post('/local', async (c) => c.json({ from: 'app', got: await c.req.json() }));
  return app;
}

beforeAll(async () => {
  upstream = await startUpstream();
  dead = await deadOrigin();
  transport = createUndiciTransport({ timeouts: { connect: 2_000 } });
  const routes = { '/api/users/*': `${upstream.origin}/users`, '/items/:id': `${upstream.origin}/v2/items/:id`, '/down/*': `${dead}/x` };
  const app = appWith(createHonoMiddleware({ routes, transport }));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      origin = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  await transport?.close();
  await upstream?.close();
});

describe('createHonoMiddleware on @hono/node-server', () => {
  it('proxies a matched GET with forwarded headers and every Set-Cookie', async () => {
    await expectProxiedGet(origin, upstream);
  });

  it('streams a 2 MB POST body upstream', async () => {
    await expectStreamedUpload(origin, 'POST', '/items/5', '/v2/items/5');
  });

  it("falls through to the app's own routes and 404; an unreachable upstream is 502 JSON", async () => {
    const before = upstream.count;
    expect((await send(origin, '/health')).json()).toEqual({ ok: true, from: 'app' });
    const local = await send(origin, '/local', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    expect(local.json()).toEqual({ from: 'app', got: { n: 1 } });
    const missing = await send(origin, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('404 Not Found'); // Hono's own
    expect(upstream.count).toBe(before);
    const down = await send(origin, '/down/x');
    expect(down.status).toBe(502);
    expect(down.headers['content-type']).toContain('json');
    expect(down.text).not.toContain(dead);
  });

  it('answers a path that cannot be routed 400/414 JSON: neither the app nor the upstream sees it', async () => {
    await expectRefusedPaths(origin, () => upstream.count + appHits);
  });

  it('refuses an invalid table when created, and neither or both of routes and router', () => {
    expect(() => createHonoMiddleware({ routes: { '/a/*.png': 'https://a.example' } })).toThrow(RoutesValidationError);
    expect(() => createHonoMiddleware({ routes: { '/x': 'https://x.example' }, router: compile({ '/x': 'https://x.example' }) })).toThrow(
      /createHonoMiddleware: pass exactly one of `routes`/,
    );
  });
});

describe('createHonoMiddleware without a server (app.request, platform fetch, portable entry)', () => {
  it('proxies through the platform fetch and falls through to the app', async () => {
    const app = appWith(portableHonoMiddleware({ routes: { '/api/*': `${upstream.origin}/edge` }, compileOptions: { backend: 'js' }, transport: createFetchTransport() }));
    const proxied = await app.request('http://edge.example/api/a/b?x=1');
    expect(proxied.status).toBe(200);
    const echo = (await proxied.json()) as Echo;
    expect(echo).toMatchObject({ url: '/edge/a/b?x=1', host: new URL(upstream.origin).host, forwardedHost: 'edge.example', forwardedProto: 'http' });
    const own = await app.request('http://edge.example/health');
    expect(await own.json()).toEqual({ ok: true, from: 'app' });
  });
});
