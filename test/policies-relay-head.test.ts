/**
 * The response head of a route with policies on the Node proxy (`PolicyResponseRelay`, session
 * 26): the stages' headers (RateLimit) and `Cache-Status` are added to undici's head object and
 * written as one flat list. What must hold, on the wire: each policy header once, with our
 * value, in place of an upstream copy; hop-by-hop headers and the ones `Connection` names are
 * dropped, never ours even when `Connection` names them; response rules still apply; and a
 * response stored through undici's interceptor holds none of the per-response policy headers.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, createNodeProxy } from '../src/index.js';
import { parseRawResponse, rawExchange, startServer, type TestServer } from './support/servers.js';

const keyHash = 'sha256:' + createHash('sha256').update('k').digest('hex');
const auth = { type: 'apiKey', keys: [keyHash] };
const rateLimit = { requests: 1000, per: '1s' };

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/** The upstream answers with `writeRaw`'s raw head lines (any header, as written) and `body`. */
async function upstreamWith(head: (path: string) => string[]): Promise<TestServer> {
  const server = await startServer((req, res: ServerResponse) => {
    const lines = head(req.url ?? '/');
    const body = 'hello';
    // Raw bytes: Node's writer would refuse nothing here, but writing them ourselves keeps every header as given.
    res.socket!.write(['HTTP/1.1 200 OK', ...lines, `Content-Length: ${body.length}`, '', body].join('\r\n'));
    res.detachSocket(res.socket!);
    req.socket.end();
  });
  closers.push(() => server.close());
  return server;
}

async function gatewayFor(routes: Record<string, unknown>): Promise<TestServer> {
  const proxy = createNodeProxy({ router: compile(routes as never, { backend: 'js' }), blockPrivateNetworks: false });
  const server = await startServer((req, res) => proxy.handler(req, res));
  closers.push(async () => {
    await server.close();
    await proxy.close(100);
  });
  return server;
}

async function get(gateway: TestServer, path: string): Promise<{ status: string; headers: [string, string][]; body: string }> {
  const r = parseRawResponse(await rawExchange(gateway.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\nConnection: close\r\n\r\n`));
  return { status: r.statusLine, headers: r.headers, body: r.body };
}

const named = (headers: [string, string][], name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);

describe('the response head of a route with policies', () => {
  it('carries each RateLimit header once, ours, in place of the upstream copy', async () => {
    const up = await upstreamWith(() => ['X-A: a', 'RateLimit: "up";r=1;t=1', 'X-B: b']);
    const gw = await gatewayFor({ '/*': { target: up.url, auth, rateLimit } });
    const r = await get(gw, '/x');
    expect(r.status).toBe('HTTP/1.1 200 OK');
    expect(named(r.headers, 'ratelimit')).toHaveLength(1);
    expect(named(r.headers, 'ratelimit')[0]).toMatch(/^"default";r=\d+;t=\d+$/);
    expect(named(r.headers, 'ratelimit-policy')).toEqual(['"default";q=1000;w=1']);
    // Replaced where it stood: between x-a and x-b, as a record assignment would keep it.
    const order = r.headers.map(([n]) => n).filter((n) => ['x-a', 'ratelimit', 'x-b'].includes(n));
    expect(order).toEqual(['x-a', 'ratelimit', 'x-b']);
    expect(r.body).toBe('hello');
  });

  it('drops what Connection names, but never the policy headers, even when Connection names them', async () => {
    const up = await upstreamWith(() => ['Connection: close, X-Drop, RateLimit, Cache-Status', 'X-Drop: 1', 'Keep-Alive: timeout=5', 'X-Keep: 2', 'Cache-Control: max-age=60']);
    const gw = await gatewayFor({ '/*': { target: up.url, auth, rateLimit, cache: true } });
    const r = await get(gw, '/y');
    const names = r.headers.map(([n]) => n);
    expect(names).not.toContain('x-drop');
    expect(names).not.toContain('keep-alive');
    expect(named(r.headers, 'x-keep')).toEqual(['2']);
    expect(named(r.headers, 'ratelimit')).toHaveLength(1);
    expect(named(r.headers, 'ratelimit-policy')).toHaveLength(1);
    expect(named(r.headers, 'cache-status')).toEqual(['af-routes; fwd=uri-miss']);
  });

  it('applies response rules after the upstream head, then the stage headers', async () => {
    const up = await upstreamWith(() => ['X-Remove: 1', 'X-Set: upstream']);
    const gw = await gatewayFor({ '/*': { target: up.url, auth, rateLimit, responseHeaders: { set: { 'x-set': 'rule' }, remove: ['x-remove'] } } });
    const r = await get(gw, '/z');
    expect(named(r.headers, 'x-set')).toEqual(['rule']);
    expect(named(r.headers, 'x-remove')).toEqual([]);
    expect(named(r.headers, 'ratelimit')).toHaveLength(1);
  });

  it('stores no per-response policy header, through the miss path or the interceptor (a stale entry revalidated)', async () => {
    let n = 0;
    // First answer: stale at once but with a validator (the next request takes the interceptor, which revalidates);
    // later answers: fresh for a minute.
    const up = await upstreamWith(() => (n++ === 0 ? ['Cache-Control: max-age=0', 'ETag: "v1"'] : ['Cache-Control: max-age=60', 'ETag: "v1"']));
    const gw = await gatewayFor({ '/*': { target: up.url, auth, rateLimit, cache: true } });
    const statuses: string[][] = [];
    let last: [string, string][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(gw, '/s');
      last = r.headers;
      expect(r.body).toBe('hello');
      expect(named(r.headers, 'ratelimit')).toHaveLength(1);
      expect(named(r.headers, 'ratelimit-policy')).toHaveLength(1);
      statuses.push(named(r.headers, 'cache-status'));
    }
    expect(statuses[0]).toEqual(['af-routes; fwd=uri-miss']);
    // Every answer carries exactly one Cache-Status, whatever was stored (a stored copy would show as two).
    for (const s of statuses) expect(s).toHaveLength(1);
    expect(statuses[3]).toEqual(['af-routes; hit']);
    // The hit writes the stored head, then Age, then the policy headers: a stored head holding
    // them (undici's interceptor stores the very object it hands on when it strips nothing, as
    // for this upstream, which sends no Connection) would put them before Age instead.
    const at = (name: string) => last.findIndex(([n]) => n === name);
    expect(at('age')).toBeGreaterThan(at('etag'));
    expect([at('age') < at('ratelimit-policy'), at('ratelimit-policy') < at('ratelimit'), at('ratelimit') < at('cache-status')]).toEqual([true, true, true]);
  });
});
