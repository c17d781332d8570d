/** `buildProxyRequest`: pure, whatever shape the headers arrive in. */
import { describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import { endToEndHeaders, toHeaderRecord } from '../src/pipeline/headers.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';

const router = compile({ '/api/*': 'https://users.svc:8443/v2?key=k', '/login': 'http://auth.svc/auth/login' }, { backend: 'js' });
const match = (path: string): RouteMatch => router.match(path)!;

describe('buildProxyRequest', () => {
  it('builds URL, origin, path and target Host from the match and the query', () => {
    const body = { marker: true };
    const r = buildProxyRequest(match('/api/users/42'), { method: 'PATCH', query: 'a=1', headers: { host: 'public.example' }, body });
    expect(r.url).toBe('https://users.svc:8443/v2/users/42?key=k&a=1');
    expect(r.origin).toBe('https://users.svc:8443');
    expect(r.path).toBe('/v2/users/42?key=k&a=1');
    expect(r.host).toBe('users.svc:8443');
    expect(r.headers.host).toBe('users.svc:8443');
    expect(r.method).toBe('PATCH');
    expect(r.body).toBe(body); // passed through untouched
    expect(buildProxyRequest(match('/login'), { method: 'GET', headers: {} }).headers.host).toBe('auth.svc');
  });

  it('strips hop-by-hop headers and every header named in Connection (any case)', () => {
    const r = buildProxyRequest(match('/login'), {
      method: 'GET',
      headers: {
        Connection: 'Keep-Alive, X-Secret , x-other',
        'X-Secret': 's',
        'x-other': 'o',
        'Keep-Alive': '5',
        TE: 'trailers',
        Trailer: 'x',
        'Transfer-Encoding': 'chunked',
        Upgrade: 'websocket',
        'Proxy-Authorization': 'p',
        'Proxy-Authenticate': 'p',
        'Proxy-Connection': 'x-pc',
        'x-pc': '1',
        Expect: '100-continue',
        Accept: 'text/html',
      },
    });
    expect(Object.keys(r.headers).sort()).toEqual(['accept', 'host', 'x-forwarded-proto']);
  });

  it('appends the client to X-Forwarded-For (all prior values, one list), sets -Host and -Proto', () => {
    const r = buildProxyRequest(match('/login'), {
      method: 'GET',
      headers: ['Host', 'public.example', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2, 3.3.3.3', 'X-Forwarded-Host', 'evil', 'X-Forwarded-Proto', 'gopher'],
      clientAddress: '::ffff:10.1.2.3',
      protocol: 'https:',
    });
    expect(r.headers['x-forwarded-for']).toBe('1.1.1.1, 2.2.2.2, 3.3.3.3, 10.1.2.3');
    expect(r.headers['x-forwarded-host']).toBe('public.example');
    expect(r.headers['x-forwarded-proto']).toBe('https');
  });

  it('keeps X-Forwarded-Host/-Proto only when told to trust them; can leave X-Forwarded-* alone', () => {
    const headers = { host: 'h', 'x-forwarded-host': 'front.example', 'x-forwarded-proto': 'https' };
    const trusted = buildProxyRequest(match('/login'), { method: 'GET', headers, clientAddress: '::1' }, { trustForwardedHeaders: true });
    expect(trusted.headers['x-forwarded-host']).toBe('front.example');
    expect(trusted.headers['x-forwarded-proto']).toBe('https');
    expect(trusted.headers['x-forwarded-for']).toBe('::1');
    const none = buildProxyRequest(match('/login'), { method: 'GET', headers: { 'x-forwarded-for': '9.9.9.9' }, clientAddress: '1.2.3.4' }, { xForwarded: false });
    expect(none.headers['x-forwarded-for']).toBe('9.9.9.9');
    expect(none.headers['x-forwarded-proto']).toBeUndefined();
  });

  it('takes X-Forwarded-Host from the request host when the headers hold none (fetch Requests)', () => {
    const r = buildProxyRequest(match('/login'), { method: 'GET', headers: new Headers({ accept: '*/*' }), host: 'fn.example:8080' });
    expect(r.headers['x-forwarded-host']).toBe('fn.example:8080');
    expect(r.headers['x-forwarded-for']).toBeUndefined();
  });

  it('keeps repeated headers as separate values, whatever the input shape', () => {
    const pairs: [string, string][] = [
      ['Accept', 'a'],
      ['accept', 'b'],
    ];
    expect(buildProxyRequest(match('/login'), { method: 'GET', headers: pairs }).headers.accept).toEqual(['a', 'b']);
    expect(buildProxyRequest(match('/login'), { method: 'GET', headers: { Accept: ['a', 'b'] } }).headers.accept).toEqual(['a', 'b']);
    const h = new Headers();
    h.append('set-cookie', 'a=1');
    h.append('set-cookie', 'b=2');
    expect(toHeaderRecord(h)['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('endToEndHeaders (responses)', () => {
  it('removes hop-by-hop headers and the ones Connection names, keeps the rest', () => {
    const headers = toHeaderRecord({ connection: 'close, x-a', 'x-a': '1', 'keep-alive': 't', 'set-cookie': ['a', 'b'], 'content-type': 'x' });
    expect(endToEndHeaders(headers)).toEqual({ 'set-cookie': ['a', 'b'], 'content-type': 'x' });
  });
});
