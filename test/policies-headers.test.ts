/**
 * SPEC 12 `requestHeaders` / `responseHeaders` (set, add, remove, both ways) through the Node
 * proxy and the fetch handler, and their forbidden names refused at validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createUndiciTransport, validateRoutes } from '../src/index.js';
import { startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { json, rawRequest, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
let proxy: PolicyProxy;
const routes = () => ({
  '/*': {
    target: upstream.url,
    requestHeaders: { set: { 'x-env': 'prod', 'x-client': 'overwritten' }, add: { 'x-tag': 'gw' }, remove: ['x-drop-me'] },
    responseHeaders: { set: { 'x-frame-options': 'DENY' }, add: { 'x-multi': 'gw' }, remove: ['x-powered-by', 'server'] },
  },
});
beforeAll(async () => {
  upstream = await startServer((req, res) => {
    res.setHeader('x-powered-by', 'Express');
    res.setHeader('x-multi', 'up');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ headers: req.headers }));
  });
  proxy = await startPolicyProxy(routes());
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

describe('header rules', () => {
  it('set, add and remove request headers (Node proxy)', async () => {
    const res = await rawRequest(proxy.url, { path: '/x', headers: { 'x-client': 'mine', 'x-drop-me': 'secret', 'x-tag': 'client' } });
    const seen = json(res).headers;
    expect(seen['x-env']).toBe('prod');
    expect(seen['x-client']).toBe('overwritten');
    expect(seen['x-drop-me']).toBeUndefined();
    expect(seen['x-tag']).toBe('client, gw');
  });

  it('set, add and remove response headers (Node proxy)', async () => {
    const res = await rawRequest(proxy.url, { path: '/x' });
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-multi')).toHaveLength(2);
  });

  it('does the same in the fetch handler', async () => {
    const transport = createUndiciTransport();
    const handler = createFetchHandler({ router: compile(routes() as never, { backend: 'js' }), transport });
    const res = (await handler(new Request('http://gw.test/x', { headers: { 'x-drop-me': '1', 'x-tag': 'client' } }), { clientAddress: '127.0.0.1' }))!;
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-multi')).toBe('up, gw');
    const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
    expect(seen['x-env']).toBe('prod');
    expect(seen['x-drop-me']).toBeUndefined();
    expect(seen['x-tag']).toBe('client, gw');
    await transport.close();
  });

  it('refuses hop-by-hop, Host and Content-Length names at validation', () => {
    for (const name of ['host', 'Content-Length', 'connection', 'transfer-encoding']) {
      const r = validateRoutes({ '/*': { target: 'https://a.test', requestHeaders: { set: { [name]: 'x' } } } });
      expect(r.valid, name).toBe(false);
      expect(r.errors[0]!.code).toBe('header-forbidden');
    }
  });
});
