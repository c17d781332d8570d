/**
 * SPEC section 8, one test per bullet, against real servers on 127.0.0.1: the gateway in front,
 * a real upstream behind, a raw node:http client (no decompression, no redirects).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './support/gateway.js';
import { closedPort, echoHandler, eventually, json, parseRawResponse, rawExchange, rawRequest, startServer, type TestServer } from './support/servers.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';

const track = closeAfterEachAndCheckSockets();

async function echoSetup(target: (up: TestServer) => string, pattern = '/api/*'): Promise<{ up: TestServer; gw: RunningGateway }> {
  const up = await track(startServer(echoHandler()));
  const gw = await track(startGateway({ [pattern]: target(up) }));
  return { up, gw };
}

describe('streams and passes bytes through', () => {
  it('relays a gzip response byte for byte, with its content-encoding', async () => {
    const payload = gzipSync(Buffer.from('hello gzip '.repeat(5_000)));
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': payload.length });
        res.end(payload);
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/file.txt', headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-length']).toBe(String(payload.length));
    expect(res.body.equals(payload)).toBe(true);
  });

  it('passes a binary request body through byte-identical', async () => {
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)]);
    const { gw } = await echoSetup((up) => up.url);
    const res = await rawRequest(gw.url, { method: 'POST', path: '/api/upload', body, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } });
    const echoed = json(res);
    expect(res.status).toBe(200);
    expect(echoed.method).toBe('POST');
    expect(echoed.headers['content-length']).toBe(String(body.length));
    expect(Buffer.from(echoed.bodyBase64, 'base64').equals(body)).toBe(true);
  });

  it('passes a chunked request body through (no content-length)', async () => {
    const { gw } = await echoSetup((up) => up.url);
    const url = new URL(gw.url);
    const body = randomBytes(300_000);
    const http = await import('node:http');
    const res = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path: '/api/chunked', agent: false }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode!, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 50_000) req.write(body.subarray(i, i + 50_000));
      req.end();
    });
    const echoed = JSON.parse(res.body.toString());
    expect(res.status).toBe(200);
    expect(echoed.headers['transfer-encoding']).toBe('chunked');
    expect(Buffer.from(echoed.bodyBase64, 'base64').equals(body)).toBe(true);
  });

  it('does not follow redirects: a 302 comes back as a 302', async () => {
    let followed = 0;
    const up = await track(
      startServer((req, res) => {
        if (req.url === '/elsewhere') followed++;
        res.writeHead(302, { location: '/elsewhere', 'content-length': 0 });
        res.end();
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/start' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
    expect(followed).toBe(0);
  });

  it('keeps every Set-Cookie', async () => {
    const up = await track(
      startServer((_req, res) => {
        res.setHeader('set-cookie', ['a=1; Path=/; HttpOnly', 'b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT']);
        res.end('ok');
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/' });
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT']);
  });

  it('relays status, reason phrase and a HEAD response without a body', async () => {
    const up = await track(
      startServer((req, res) => {
        res.statusMessage = 'Teapot Here';
        res.writeHead(418, { 'content-length': 5, 'x-method': req.method! });
        res.end(req.method === 'HEAD' ? undefined : 'hello');
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const get = await rawRequest(gw.url, { path: '/' });
    expect(get.status).toBe(418);
    expect(get.statusMessage).toBe('Teapot Here');
    expect(get.body.toString()).toBe('hello');
    const head = await rawRequest(gw.url, { path: '/', method: 'HEAD' });
    expect(head.status).toBe(418);
    expect(head.headers['x-method']).toBe('HEAD');
    expect(head.headers['content-length']).toBe('5');
    expect(head.body.length).toBe(0);
  });
});

describe('headers', () => {
  it('strips hop-by-hop and Connection-named headers both ways', async () => {
    let received: Record<string, string | string[] | undefined> = {};
    const up = await track(
      startServer((req, res) => {
        received = req.headers;
        res.writeHead(200, {
          connection: 'x-up-hop',
          'x-up-hop': 'secret',
          'keep-alive': 'timeout=99',
          'proxy-authenticate': 'Basic',
          trailer: 'x-trailer',
          upgrade: 'h2c',
          'x-up-keep': 'kept',
        }); // chunked (a Trailer header needs it)
        res.end('ok');
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const text = await rawExchange(
      gw.port,
      [
        'GET /x HTTP/1.1',
        `Host: 127.0.0.1:${gw.port}`,
        'Connection: close, X-Client-Hop',
        'X-Client-Hop: drop me',
        'Keep-Alive: timeout=30',
        'TE: trailers',
        'Trailer: X-T',
        'Upgrade: websocket',
        'Proxy-Authorization: Basic abc',
        'Proxy-Connection: keep-alive',
        'X-Client-Keep: kept',
        '',
        '',
      ].join('\r\n'),
    );
    const res = parseRawResponse(text);
    const names = res.headers.map(([n]) => n);
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    for (const h of ['x-client-hop', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection']) expect(received[h], h).toBeUndefined();
    expect(received['connection']).toBe('keep-alive'); // the proxy's own hop to the upstream
    expect(received['x-client-keep']).toBe('kept');
    for (const h of ['x-up-hop', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade']) expect(names, h).not.toContain(h);
    expect(res.headers).toContainEqual(['connection', 'close']); // the client hop's own
    expect(res.headers).toContainEqual(['x-up-keep', 'kept']);
    expect(res.body).toContain('ok');
  });

  it('appends the client address to an existing X-Forwarded-For, sets X-Forwarded-Host and -Proto', async () => {
    const { gw } = await echoSetup((up) => up.url);
    const res = await rawRequest(gw.url, {
      path: '/api/x',
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.2', 'x-forwarded-host': 'spoofed.example', 'x-forwarded-proto': 'gopher', host: 'public.example:8443' },
    });
    const h = json(res).headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
    expect(h['x-forwarded-host']).toBe('public.example:8443');
    expect(h['x-forwarded-proto']).toBe('http');
  });

  it('sends the target host as Host', async () => {
    const up = await track(startServer(echoHandler()));
    const gw = await track(startGateway({ '/a/*': up.url, '/b/*': `http://localhost:${up.port}/base` }));
    const a = json(await rawRequest(gw.url, { path: '/a/1', headers: { host: 'client.example' } }));
    expect(a.headers.host).toBe(`127.0.0.1:${up.port}`);
    const b = json(await rawRequest(gw.url, { path: '/b/2', headers: { host: 'client.example' } }));
    expect(b.headers.host).toBe(`localhost:${up.port}`);
    expect(b.url).toBe('/base/2');
  });

  it("merges the request's query after the target's own", async () => {
    const { gw } = await echoSetup((up) => `${up.url}/v2?key=abc`);
    const res = json(await rawRequest(gw.url, { path: '/api/users/42?page=2&sort=name' }));
    expect(res.url).toBe('/v2/users/42?key=abc&page=2&sort=name');
  });

  it('forwards the normalized path, never a different one', async () => {
    const { gw } = await echoSetup((up) => up.url);
    const res = json(await rawRequest(gw.url, { path: '/api//a/./b/../c%7e?x=%20' }));
    expect(res.url).toBe('/a/c~?x=%20');
  });
});

describe('connections', () => {
  it('reuses one keep-alive connection per upstream for sequential requests', async () => {
    const { up, gw } = await echoSetup((up) => up.url);
    for (let i = 0; i < 10; i++) expect((await rawRequest(gw.url, { path: `/api/${i}` })).status).toBe(200);
    expect(up.connections()).toBe(1);
  });
});

describe('errors are answered as JSON', () => {
  it('502 upstream-connection-refused on a refused connection, without the target', async () => {
    const port = await closedPort();
    const gw = await track(startGateway({ '/svc/*': `http://127.0.0.1:${port}/internal` }));
    const res = await rawRequest(gw.url, { path: '/svc/x' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(json(res)).toEqual({ error: { code: 'upstream-connection-refused', message: expect.any(String) }, route: '/svc/*' });
    expect(res.body.toString()).not.toContain(String(port));
    expect(res.body.toString()).not.toContain('internal');
    expect(gw.log.at(-1)).toMatchObject({ method: 'GET', path: '/svc/x', route: '/svc/*', status: 502, error: 'upstream-connection-refused' });
  });

  it('shows the target only when exposeTargets is set', async () => {
    const port = await closedPort();
    const gw = await track(startGateway({ '/svc/*': `http://127.0.0.1:${port}/internal` }, { exposeTargets: true }));
    const body = json(await rawRequest(gw.url, { path: '/svc/x?q=1' }));
    expect(body.target).toBe(`http://127.0.0.1:${port}/internal/x?q=1`);
  });

  it('502 upstream-dns-failure on an unknown host', async () => {
    const gw = await track(startGateway({ '/*': 'http://no-such-host.invalid' }));
    const res = await rawRequest(gw.url, { path: '/x' });
    expect(res.status).toBe(502);
    expect(json(res).error.code).toBe('upstream-dns-failure');
    expect(res.body.toString()).not.toContain('no-such-host');
  });

  it('504 upstream-timeout when the upstream sends no headers in time', async () => {
    // The upstream holds its answer until the test has the 504: so the 504 can only come from
    // the headers timeout, whatever the machine's speed (no wall-clock bound).
    const held: ServerResponse[] = [];
    const up = await track(startServer((_req, res) => void held.push(res)));
    const gw = await track(startGateway({ '/*': up.url }, { timeouts: { headers: 200 } }));
    const res = await rawRequest(gw.url, { path: '/slow' });
    expect(res.status).toBe(504);
    expect(json(res)).toMatchObject({ error: { code: 'upstream-timeout' }, route: '/*' });
    expect(held.length).toBe(1);
    expect(held[0]!.headersSent).toBe(false);
    held[0]!.end('late');
  });

  it('ends the response with an error when the upstream body goes idle (bodyIdle timeout)', async () => {
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('x'.repeat(10));
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }, { timeouts: { bodyIdle: 200 } }));
    await expect(rawRequest(gw.url, { path: '/stall' })).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ status: 200, upstreamStatus: 200, error: 'upstream-timeout' });
  });

  it('400 on invalid paths and 414 on a path over the limit', async () => {
    const { up, gw } = await echoSetup((up) => up.url, '/*');
    for (const path of ['/a%2Fb', '/%zz', '/a%00b', '/caf%C3']) {
      const res = await rawRequest(gw.url, { path });
      expect(res.status, path).toBe(400);
      expect(json(res).route).toBeNull();
    }
    expect(json(await rawRequest(gw.url, { path: '/a%2Fb' })).error.code).toBe('encoded-slash');
    const long = await rawRequest(gw.url, { path: '/' + 'a'.repeat(9_000) });
    expect(long.status).toBe(414);
    expect(json(long).error.code).toBe('path-too-long');
    expect(up.connections()).toBe(0);
  });

  it('404 route-not-found in the standalone gateway', async () => {
    const { up, gw } = await echoSetup((up) => up.url, '/api/*');
    const res = await rawRequest(gw.url, { path: '/other' });
    expect(res.status).toBe(404);
    expect(json(res)).toEqual({ error: { code: 'route-not-found', message: 'No route matches this path' }, route: null });
    expect(up.connections()).toBe(0);
  });

  it('never throws to the host when the router getter throws', async () => {
    const { createGateway } = await import('../src/index.js');
    const gateway = createGateway({
      router: () => {
        throw new Error('boom');
      },
    });
    const server = await track(startServer(gateway.handler));
    await track(gateway);
    const res = await rawRequest(server.url, { path: '/x' });
    expect(res.status).toBe(502);
    expect(json(res).error.code).toBe('upstream-error');
  });
});

describe('access log', () => {
  it('reports method, path, route, status, upstream status and time per request', async () => {
    const { gw } = await echoSetup((up) => up.url);
    await rawRequest(gw.url, { path: '/api/a?b=1', method: 'DELETE' });
    await eventually(() => gw.log.length === 1);
    const [entry] = gw.log;
    expect(entry).toMatchObject({ method: 'DELETE', path: '/api/a?b=1', route: '/api/*', status: 200, upstreamStatus: 200 });
    expect(entry!.ms).toBeGreaterThan(0);
    expect(entry!.error).toBeUndefined();
  });
});

describe('router getter', () => {
  it('calls the getter per request, so a host can swap tables', async () => {
    const { compile, createGateway } = await import('../src/index.js');
    const a = await track(startServer((_q, r) => r.end('A')));
    const b = await track(startServer((_q, r) => r.end('B')));
    let router = compile({ '/*': a.url });
    const gateway = createGateway({ router: () => router });
    await track(gateway);
    const server = await track(startServer(gateway.handler));
    expect((await rawRequest(server.url, { path: '/' })).body.toString()).toBe('A');
    router = compile({ '/*': b.url });
    expect((await rawRequest(server.url, { path: '/' })).body.toString()).toBe('B');
  });
});
