/**
 * The Fastify plugin against real Fastify and a real upstream on 127.0.0.1: matched requests
 * are proxied (streamed, forwarded headers, every Set-Cookie), everything else reaches the
 * app's own routes, body parsers and 404 handler; closing the app closes the proxy.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, createFastifyPlugin, RoutesValidationError, type AccessLogEntry, type Router } from '../src/index.js';
import { deadOrigin, payload, send, startUpstream, type Echo, type Upstream, expectProxiedGet } from './support-browser/upstream.js';
import { expectRefusedPaths } from './support/refused-paths.js';

let upstream: Upstream;
let app: FastifyInstance;
let origin: string;
let dead: string;
const log: AccessLogEntry[] = [];
let appHits = 0;
let swappable: Router;

beforeAll(async () => {
  upstream = await startUpstream();
  dead = await deadOrigin();
  swappable = compile({ '/swap/*': `${upstream.origin}/one` });
  app = Fastify();
  await app.register(
    createFastifyPlugin({
      routes: {
        '/api/users/*': `${upstream.origin}/users`,
        '/items/:id': `${upstream.origin}/v2/items/:id?src=gw`,
        '/down/*': `${dead}/x`,
      },
      onRequest: (entry) => log.push(entry),
      timeouts: { connect: 2_000, headers: 5_000, bodyIdle: 5_000 },
    }),
  );
  // A second table through a getter, registered under a prefix (the hook is app-wide anyway).
  await app.register(createFastifyPlugin({ router: () => swappable }), { prefix: '/ignored' });
  // Registered after the plugins: counts the requests they passed on to the app.
  app.addHook('onRequest', async () => {
    appHits++;
  });
  app.get('/health', async () => ({ ok: true, from: 'app' }));
  app.post('/local', async (request) => ({ from: 'app', got: request.body }));
  app.get('/api/users/me', async () => ({ from: 'app' })); // shadowed: the table comes first
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await upstream?.close();
});

describe('createFastifyPlugin', () => {
  it('proxies a matched GET with the target origin, the remainder, the query and forwarded headers', async () => {
    const res = await expectProxiedGet(origin, upstream);
    expect(res.headers['x-upstream']).toBe('yes');
  });

  it('streams a 2 MB POST body upstream untouched (Fastify parses nothing first)', async () => {
    const { body, sha256 } = payload(2 * 1024 * 1024);
    const res = await send(origin, '/api/users/7', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.json<Echo>()).toMatchObject({ method: 'POST', url: '/users/7', bytes: body.length, sha256, contentType: 'application/json' });
  });

  it('fills target placeholders and joins the queries', async () => {
    const echo = (await send(origin, '/items/caf%C3%A9?x=1')).json<Echo>();
    expect(echo.url).toBe('/v2/items/caf%C3%A9?src=gw&x=1');
  });

  it("falls through to the app's own routes, body parsers and 404 handler", async () => {
    const before = upstream.count;
    const health = await send(origin, '/health');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ ok: true, from: 'app' });
    const local = await send(origin, '/local', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    expect(local.json()).toEqual({ from: 'app', got: { n: 1 } });
    const missing = await send(origin, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ message: 'Route GET:/nope not found', statusCode: 404 }); // Fastify's 404, not the gateway's
    expect(upstream.count).toBe(before);
  });

  it('answers a path that cannot be routed 400/414 JSON, logged: neither the app nor the upstream sees it', async () => {
    await expectRefusedPaths(origin, () => upstream.count + appHits);
    await expect.poll(() => log.filter((e) => e.error === 'encoded-slash' || e.error === 'too-many-segments').length).toBeGreaterThanOrEqual(2);
  });

  it("takes precedence over the app's routes for paths the table matches", async () => {
    const res = await send(origin, '/api/users/me');
    expect(res.json<Echo>().url).toBe('/users/me');
  });

  it('routes by a getter, so a table can be swapped without a restart', async () => {
    expect((await send(origin, '/swap/a')).json<Echo>().url).toBe('/one/a');
    swappable = compile({ '/swap/*': `${upstream.origin}/two` });
    expect((await send(origin, '/swap/a')).json<Echo>().url).toBe('/two/a');
  });

  it('answers an unreachable upstream 502 JSON without showing the target, and logs it', async () => {
    const res = await send(origin, '/down/x');
    expect(res.status).toBe(502);
    const body = res.json<{ error: { code: string; route: string | null } } & Record<string, unknown>>();
    expect(JSON.stringify(body)).not.toContain(dead);
    expect(JSON.stringify(body)).toContain('/down/*');
    await expect.poll(() => log.find((e) => e.route === '/down/*')?.status).toBe(502);
    expect(log.some((e) => e.route === '/api/users/*' && e.status === 200)).toBe(true);
  });

  it('refuses an invalid table when created, with every problem listed, and neither or both of routes and router', () => {
    let err: unknown;
    try {
      createFastifyPlugin({ routes: { 'api/*': 'ftp://x', '/ok': 'https://ok.example' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RoutesValidationError);
    expect((err as RoutesValidationError).issues.map((i) => i.code)).toEqual(['pattern-no-leading-slash']);
    expect(() => createFastifyPlugin({})).toThrow(/createFastifyPlugin: pass exactly one of `routes`/);
  });
});
