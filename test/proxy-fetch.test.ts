/**
 * The fetch-standard handler (`Request` in, `Response` or `null` out) against real upstreams on
 * 127.0.0.1: on the undici transport (Node hosts; byte-exact) and on `createFetchTransport()` (the
 * platform's fetch, as in sandboxes and SGX).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createUndiciTransport, createFetchTransport, type AccessLogEntry, type UndiciTransport } from '../src/index.js';
import { Pattern, PatternChecker } from './support/pattern.js';
import { closedPort, echoHandler, eventually, startServer } from './support/servers.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';

const track = closeAfterEachAndCheckSockets();

const gzipped = gzipSync(Buffer.from('compressed body '.repeat(2_000)));

function upstreamHandler(): Parameters<typeof startServer>[0] {
  const echo = echoHandler();
  return (req, res) => {
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain', 'content-length': gzipped.length });
      return void res.end(gzipped);
    }
    if (req.url === '/cookies') {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('connection', 'x-hop');
      res.setHeader('x-hop', 'drop');
      return void res.end('ok');
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' });
      return void res.end();
    }
    if (req.url === '/slow') {
      // Held until the test has its answer: a 504 then can only come from the headers timeout.
      held.add(res);
      return;
    }
    echo(req, res);
  };
}

/** Responses of the `/slow` upstream, not answered yet. */
const held = new Set<ServerResponse>();

/** The 504 arrived while the upstream still held its answer (so the timeout fired, not a late reply); then releases it. */
function expectTimedOutBeforeTheUpstreamAnswered(): void {
  expect(held.size).toBe(1);
  for (const res of held) {
    expect(res.headersSent).toBe(false);
    res.end('late');
  }
  held.clear();
}

async function setup(transport: 'undici' | 'fetch', extra: Partial<Parameters<typeof createFetchHandler>[0]> = {}) {
  const up = await track(startServer(upstreamHandler()));
  const t: UndiciTransport | ReturnType<typeof createFetchTransport> = transport === 'undici' ? await track(createUndiciTransport()) : createFetchTransport();
  const log: AccessLogEntry[] = [];
  const handler = createFetchHandler({ router: compile({ '/api/*': up.url }), transport: t, onRequest: (e) => log.push(e), ...extra });
  return { up, handler, log, transport: t };
}

describe('on the undici transport', () => {
  it('relays a gzip body byte for byte with its content-encoding', async () => {
    const { handler } = await setup('undici');
    const res = (await handler(new Request('http://gw.test/api/gzip')))!;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await res.arrayBuffer()).equals(gzipped)).toBe(true);
  });

  it('keeps every Set-Cookie and strips hop-by-hop response headers', async () => {
    const { handler } = await setup('undici');
    const res = (await handler(new Request('http://gw.test/api/cookies')))!;
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('x-hop')).toBeNull();
    expect(res.headers.get('connection')).toBeNull();
    expect(await res.text()).toBe('ok');
  });

  it('does not follow a redirect', async () => {
    const { handler } = await setup('undici');
    const res = (await handler(new Request('http://gw.test/api/redirect')))!;
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/elsewhere');
  });

  it('streams a request body through byte-identical, with X-Forwarded-* from the request', async () => {
    const { handler } = await setup('undici');
    const body = randomBytes(2 * 1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += 256 * 1024) c.enqueue(body.subarray(i, i + 256 * 1024));
        c.close();
      },
    });
    const request = new Request('https://gw.test:8443/api/up?x=1', { method: 'POST', body: stream, duplex: 'half', headers: { 'x-forwarded-for': '1.2.3.4' } } as RequestInit);
    const res = (await handler(request, { clientAddress: '5.6.7.8' }))!;
    const echoed = (await res.json()) as { method: string; url: string; headers: Record<string, string>; bodyBase64: string };
    expect(echoed.method).toBe('POST');
    expect(echoed.url).toBe('/up?x=1');
    expect(echoed.headers['x-forwarded-for']).toBe('1.2.3.4, 5.6.7.8');
    expect(echoed.headers['x-forwarded-host']).toBe('gw.test:8443');
    expect(echoed.headers['x-forwarded-proto']).toBe('https');
    expect(Buffer.from(echoed.bodyBase64, 'base64').equals(body)).toBe(true);
  });

  it('streams a large response with backpressure', async () => {
    const pattern = new Pattern();
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-length': 64 * 1024 * 1024 });
        pattern.pipeTo(res, 64 * 1024 * 1024);
      }),
    );
    const transport = await track(createUndiciTransport());
    const handler = createFetchHandler({ router: compile({ '/*': up.url }), transport });
    const res = (await handler(new Request('http://gw.test/big')))!;
    const check = new PatternChecker(pattern);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) check.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    expect(check).toMatchObject({ bytes: 64 * 1024 * 1024, ok: true });
  });

  it('resolves null when no route matches (the body is left for the function), 404 without fallthrough', async () => {
    const { handler, up, transport } = await setup('undici');
    const request = new Request('http://gw.test/other', { method: 'POST', body: 'for the function' });
    expect(await handler(request)).toBeNull();
    expect(await request.text()).toBe('for the function');
    const standalone = createFetchHandler({ router: compile({ '/api/*': up.url }), transport, fallthrough: false });
    const res = (await standalone(new Request('http://gw.test/other')))!;
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route-not-found', message: 'No route matches this path' }, route: null });
  });

  it('answers 400 and 414 for paths normalization refuses', async () => {
    const { handler, up } = await setup('undici');
    const bad = (await handler(new Request('http://gw.test/api/a%2Fb')))!;
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('encoded-slash');
    const long = (await handler(new Request('http://gw.test/api/' + 'x'.repeat(9_000))))!;
    expect(long.status).toBe(414);
    expect(up.connections()).toBe(0);
  });

  it('answers 502 on a refused connection and 504 on a slow upstream', async () => {
    const port = await closedPort();
    const transport = await track(createUndiciTransport());
    const refused = createFetchHandler({ router: compile({ '/*': `http://127.0.0.1:${port}` }), transport });
    const r1 = (await refused(new Request('http://gw.test/x')))!;
    expect(r1.status).toBe(502);
    expect(await r1.json()).toMatchObject({ error: { code: 'upstream-connection-refused' }, route: '/*' });
    const { handler } = await setup('undici', { timeouts: { headers: 150 } });
    const r2 = (await handler(new Request('http://gw.test/api/slow')))!;
    expect(r2.status).toBe(504);
    expect(await r2.json()).toMatchObject({ error: { code: 'upstream-timeout' } });
    expectTimedOutBeforeTheUpstreamAnswered();
  });

  it('aborts the upstream request when the client goes away', async () => {
    let closed = false;
    let received = false;
    const up = await track(
      startServer((_req, res) => {
        received = true;
        res.on('close', () => (closed = true));
      }),
    );
    const transport = await track(createUndiciTransport());
    const handler = createFetchHandler({ router: compile({ '/*': up.url }), transport });
    const client = new AbortController();
    const pending = handler(new Request('http://gw.test/hang', { signal: client.signal }));
    await eventually(() => received, 2_000, 'the upstream to get the request');
    client.abort();
    const res = (await pending)!;
    expect(res.status).toBe(499);
    await eventually(() => closed, 2_000, 'the upstream to see the close');
    expect(closed).toBe(true);
  });

  it('cancelling the response body aborts the upstream', async () => {
    let closed = false;
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200);
        const t = setInterval(() => res.write('x'.repeat(1024)), 5);
        res.on('close', () => {
          clearInterval(t);
          closed = true;
        });
      }),
    );
    const transport = await track(createUndiciTransport());
    const handler = createFetchHandler({ router: compile({ '/*': up.url }), transport });
    const res = (await handler(new Request('http://gw.test/stream')))!;
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await eventually(() => closed, 2_000, 'the upstream to see the close');
    expect(closed).toBe(true);
  });

  it('reports an access-log entry per request', async () => {
    const { handler, log } = await setup('undici');
    await (await handler(new Request('http://gw.test/api/a?b=1', { method: 'PUT', body: 'x' })))!.text();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'PUT', path: '/api/a?b=1', route: '/api/*', status: 200, upstreamStatus: 200 });
  });
});

describe('on createFetchTransport() (the platform fetch: sandboxes, SGX)', () => {
  it('proxies, keeps Set-Cookie, and relays a 302 without following it', async () => {
    const { handler } = await setup('fetch');
    const echoed = (await (await handler(new Request('http://gw.test/api/x?y=1', { headers: { 'x-custom': 'v' } })))!.json()) as {
      url: string;
      headers: Record<string, string>;
    };
    expect(echoed.url).toBe('/x?y=1');
    expect(echoed.headers['x-custom']).toBe('v');
    expect(echoed.headers['x-forwarded-host']).toBe('gw.test');
    const cookies = (await handler(new Request('http://gw.test/api/cookies')))!;
    expect(cookies.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const redirect = (await handler(new Request('http://gw.test/api/redirect')))!;
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/elsewhere');
  });

  it('drops content-encoding when the platform fetch has decoded the body', async () => {
    const { handler } = await setup('fetch');
    const res = (await handler(new Request('http://gw.test/api/gzip')))!;
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('content-length')).toBeNull();
    expect(await res.text()).toBe('compressed body '.repeat(2_000));
  });

  it('answers 502 on a refused connection and 504 on a slow upstream', async () => {
    const port = await closedPort();
    const refused = createFetchHandler({ router: compile({ '/*': `http://127.0.0.1:${port}` }), transport: createFetchTransport() });
    const r1 = (await refused(new Request('http://gw.test/x')))!;
    expect(r1.status).toBe(502);
    expect(((await r1.json()) as { error: { code: string } }).error.code).toBe('upstream-connection-refused');
    const { handler } = await setup('fetch', { timeouts: { headers: 150 } });
    const r2 = (await handler(new Request('http://gw.test/api/slow')))!;
    expect(r2.status).toBe(504);
    expectTimedOutBeforeTheUpstreamAnswered();
  });
});
