/**
 * The routing step every entry point shares (src/pipeline/route.ts): the request the router
 * is asked with (`{ method, host, headers, query }`), and what happens when a pattern matched
 * the path but not the method (SPEC 10.1): a gateway answers 405 with `Allow` and a JSON body
 * (`method-not-allowed`); the runtime, the fetch handler in fall-through mode and middleware
 * let the host's own code run. The matcher does not evaluate conditions yet, so the router
 * here is hand-built on the `Router` interface: it serves `/things` to GET and HEAD only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createFetchTransport, createGateway, createNodeProxy, type MatchRequest, type Router } from '../src/index.js';
import { routeRequest } from '../src/pipeline/route.js';
import { routeFetch } from '../src/proxy/fetch-handler.js';
import { fromInvocation } from '../src/proxy/invocation.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { echoHandler, json, rawRequest, startServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

/** What a route-object table `{ '/things': { methods: ['GET'], target } }` will do, on the `Router` interface. */
function methodsRouter(target: string): Router & { asked: MatchRequest[] } {
  const real = compile({ '/things': target, '/open/*': target }, { backend: 'js' });
  const asked: MatchRequest[] = [];
  const takes = (path: string, request?: MatchRequest) => path !== '/things' || request?.method === 'GET' || request?.method === 'HEAD';
  return {
    asked,
    backend: real.backend,
    engine: real.engine,
    routes: real.routes,
    options: real.options,
    warnings: real.warnings,
    url: (match, query) => real.url(match, query),
    match(path, request) {
      if (request) asked.push(request);
      return takes(path, request) ? real.match(path) : null;
    },
    allowedMethods: (path, request) => (real.match(path) !== null && !takes(path, request) ? ['GET', 'HEAD'] : []),
  };
}

function headerOf(request: MatchRequest, name: string): string | null | undefined {
  const h = request.headers;
  if (h === undefined) return undefined;
  if (typeof h === 'function') return h(name);
  if (typeof (h as { get?: unknown }).get === 'function') return (h as { get(n: string): string | null }).get(name);
  const v = (h as Record<string, string | readonly string[] | undefined>)[name];
  return typeof v === 'string' ? v : v?.join(', ');
}

describe('the routing step', () => {
  it('gateway: 405 with Allow and a JSON body; GET is forwarded; the router is asked with method, host, headers and query', async () => {
    const upstream = await track(startServer(echoHandler()));
    const router = methodsRouter(upstream.url);
    const gateway = createGateway({ router });
    const server = await track(startServer(gateway.handler));
    await track({ close: () => gateway.close() });

    const refused = await rawRequest(server.url, { method: 'POST', path: '/things?x=1', headers: { 'x-tenant': 'a' }, body: 'b' });
    expect(refused.status).toBe(405);
    expect(refused.headers['allow']).toBe('GET, HEAD');
    expect(refused.headers['content-type']).toContain('application/json');
    expect(json(refused)).toEqual({ error: { code: 'method-not-allowed', message: expect.any(String) }, route: null });
    const asked = router.asked.at(-1)!;
    expect(asked).toMatchObject({ method: 'POST', host: `127.0.0.1:${server.port}`, query: 'x=1' });
    expect(headerOf(asked, 'x-tenant')).toBe('a');

    const head = await rawRequest(server.url, { method: 'DELETE', path: '/things' });
    expect(head.status).toBe(405);
    expect((await rawRequest(server.url, { path: '/things' })).status).toBe(200);
    const missing = await rawRequest(server.url, { method: 'POST', path: '/nothing' });
    expect(missing.status).toBe(404);
    expect(missing.headers['allow']).toBeUndefined();
    expect(json(missing).error.code).toBe('route-not-found');
  });

  it('Node middleware (fall-through): a 405 goes to the next handler, untouched', async () => {
    const upstream = await track(startServer(echoHandler()));
    const proxy = createNodeProxy({ router: methodsRouter(upstream.url) });
    await track({ close: () => proxy.close() });
    const app = (_req: IncomingMessage, res: ServerResponse) => res.end('from the app');
    const server = await track(startServer((req, res) => proxy.handler(req, res, () => app(req, res))));
    const res = await rawRequest(server.url, { method: 'POST', path: '/things' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('from the app');
  });

  it('fetch handler: 405 with Allow as a standalone gateway, null (run the host code) in fall-through mode; Host from the URL', async () => {
    const upstream = await track(startServer(echoHandler()));
    const router = methodsRouter(upstream.url);
    const transport = createFetchTransport();
    const gateway = createFetchHandler({ router, transport, fallthrough: false });
    const refused = (await gateway(new Request('http://edge.example/things?q=2', { method: 'PUT', body: 'x', headers: { 'x-tenant': 'b' } })))!;
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET, HEAD');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('method-not-allowed');
    const asked = router.asked.at(-1)!;
    expect(asked).toMatchObject({ method: 'PUT', host: 'edge.example', query: 'q=2' });
    expect(headerOf(asked, 'x-tenant')).toBe('b');
    const head = (await gateway(new Request('http://edge.example/things', { method: 'DELETE' })))!;
    expect(head.status).toBe(405);

    const runtimeLike = createFetchHandler({ router, transport });
    expect(await runtimeLike(new Request('http://edge.example/things', { method: 'PUT', body: 'x' }))).toBeNull();
    const proxied = (await runtimeLike(new Request('http://edge.example/things')))!;
    expect(proxied.status).toBe(200);
    await proxied.arrayBuffer();
  });

  it('runtime invocations: the router reads method, Host and headers from the invocation, and a 405 falls through to the function', async () => {
    const router = methodsRouter('http://up.example');
    const transport = createFetchTransport();
    const invocation = { method: 'post', path: '/things', headers: { Host: 'fn.example', 'X-Tenant': ['c', 'd'] }, query: { q: '3' }, body: { n: 1 } };
    expect(await routeFetch({ transport }, router, fromInvocation(invocation), true)).toBeNull();
    const asked = router.asked.at(-1)!;
    expect(asked).toMatchObject({ method: 'POST', host: 'fn.example', query: 'q=3' });
    expect(headerOf(asked, 'x-tenant')).toBe('c, d');
    const refused = (await routeFetch({ transport }, router, fromInvocation(invocation), false))!;
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET, HEAD');
  });

  it('decides the same for every method and path, whatever the transport (law: forward ⇔ match, 405 ⇔ allowed non-empty, else 404 or fall through)', () => {
    const router = methodsRouter('http://up.example');
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const path = fc.constantFrom('/things', '/open/a', '/nothing', '/things/x', '/');
    fc.assert(
      fc.property(method, path, fc.boolean(), (m, p, fallthrough) => {
        const decision = routeRequest(router, p, { method: m, host: null, headers: () => null }, { allowEncodedSlashes: false, fallthrough });
        const match = router.match(p, { method: m });
        if (match !== null) return decision.kind === 'forward' && decision.match.pattern === match.pattern;
        if (fallthrough) return decision.kind === 'fall-through';
        const allowed = router.allowedMethods(p, { method: m });
        return decision.kind === 'answer' && decision.status === (allowed.length > 0 ? 405 : 404) && (decision.headers['allow'] ?? '') === allowed.join(', ');
      }),
    );
  });

  it('answers a path that cannot be routed 400/414 in every mode, before the router is asked', () => {
    const router = methodsRouter('http://up.example');
    for (const fallthrough of [true, false]) {
      router.asked.length = 0;
      const d = routeRequest(router, '/things/a%2Fb', { method: 'GET', host: null, headers: () => null }, { allowEncodedSlashes: false, fallthrough });
      expect(d).toMatchObject({ kind: 'answer', status: 400, code: 'encoded-slash', body: { error: { code: 'encoded-slash' }, route: null } });
      const long = routeRequest(router, '/' + 'a'.repeat(9_000), { method: 'GET', host: null, headers: () => null }, { allowEncodedSlashes: false, fallthrough });
      expect(long).toMatchObject({ kind: 'answer', status: 414, code: 'path-too-long' });
      expect(router.asked).toEqual([]);
    }
  });
});
