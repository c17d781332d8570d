/**
 * The Express middleware against real Express 5 and a real upstream on 127.0.0.1: matched
 * requests are proxied (streamed, forwarded headers, every Set-Cookie), everything else
 * reaches the app's own routes, body parsers and 404 handler; mounted under a path it
 * matches the path below the mount point.
 */
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpressMiddleware, RoutesValidationError, type ExpressMiddleware } from '../src/index.js';
import { closeServer, deadOrigin, send, startUpstream, type Echo, type Upstream, expectProxiedGet, expectStreamedUpload } from './support-browser/upstream.js';
import { expectRefusedPaths } from './support/refused-paths.js';

let upstream: Upstream;
let server: Server;
let origin: string;
let dead: string;
let middleware: ExpressMiddleware;
let mounted: ExpressMiddleware;
let getterCalls = 0;
let appHits = 0;

beforeAll(async () => {
  upstream = await startUpstream();
  dead = await deadOrigin();
  middleware = createExpressMiddleware({
    routes: { '/api/users/*': `${upstream.origin}/users`, '/items/:id': `${upstream.origin}/v2/items/:id`, '/down/*': `${dead}/x`, '/Docs': `${upstream.origin}/docs` },
    compileOptions: { caseSensitive: false },
    timeouts: { connect: 2_000 },
  });
  mounted = createExpressMiddleware({ routes: { '/api/*': `${upstream.origin}/mounted` } });
  const app = express();
  app.use('/gw', mounted);
  app.use(middleware);
  app.use((_req, _res, next) => {
    appHits++; // a request the middlewares passed on to the app
    next();
  });
  app.use(express.json()); // after the middleware: only the app's own requests are parsed
  app.get('/health', (_req, res) => {
    res.json({ ok: true, from: 'app' });
  });
  app.post('/local', (req, res) => {
    res.json({ from: 'app', got: req.body });
  });
  app.use(
    '/broken',
    createExpressMiddleware({
      router: () => {
        getterCalls++;
        throw new Error('the table store is down');
      },
    }),
  );
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ appError: err.message });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await middleware?.close();
  await mounted?.close();
  if (server) await closeServer(server);
  await upstream?.close();
});

describe('createExpressMiddleware', () => {
  it('proxies a matched GET with the target origin, the remainder, the query and forwarded headers', async () => {
    await expectProxiedGet(origin, upstream);
  });

  it('streams a 2 MB PUT body upstream untouched', async () => {
    await expectStreamedUpload(origin, 'PUT', '/items/9', '/v2/items/9');
  });

  it('matches with the compile options given (case-insensitive here)', async () => {
    expect((await send(origin, '/docs')).json<Echo>().url).toBe('/docs');
    expect((await send(origin, '/API/Users/x')).json<Echo>().url).toBe('/users/x');
  });

  it("falls through to the app's own routes, body parsers and 404 handler", async () => {
    const before = upstream.count;
    expect((await send(origin, '/health')).json()).toEqual({ ok: true, from: 'app' });
    const local = await send(origin, '/local', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    expect(local.json()).toEqual({ from: 'app', got: { n: 1 } });
    const missing = await send(origin, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Cannot GET /nope'); // Express's 404, not the gateway's
    expect(upstream.count).toBe(before);
  });

  it('mounted under a path, matches the path below it', async () => {
    expect((await send(origin, '/gw/api/v1/x?q=1')).json<Echo>().url).toBe('/mounted/v1/x?q=1');
  });

  it('answers a path that cannot be routed 400/414 JSON, mounted or not: neither the app nor the upstream sees it', async () => {
    const hits = () => upstream.count + appHits;
    await expectRefusedPaths(origin, hits);
    await expectRefusedPaths(origin, hits, '/gw');
  });

  it("answers an unreachable upstream 502 JSON; a failing router getter goes to Express's error handler", async () => {
    const down = await send(origin, '/down/x');
    expect(down.status).toBe(502);
    expect(down.text).not.toContain(dead);
    const broken = await send(origin, '/broken/x');
    expect(broken.status).toBe(500);
    expect(broken.json()).toEqual({ appError: 'the table store is down' });
    expect(getterCalls).toBe(1);
  });

  it('refuses an invalid table when created, and a call with neither or both of routes and router', () => {
    expect(() => createExpressMiddleware({ routes: { '/a/*.png': 'https://a.example' } })).toThrow(RoutesValidationError);
    expect(() => createExpressMiddleware({})).toThrow(/exactly one of `routes`/);
  });
});
