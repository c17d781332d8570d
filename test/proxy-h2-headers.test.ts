/**
 * HTTP/2 requests (Node's compatibility API hands over `rawHeaders` with the pseudo-headers)
 * forwarded to HTTP/1.1 upstreams by `buildProxyRequest`: the laws, for any header list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';

const router = compile({ '/api/*': 'http://users.svc:8080' }, { backend: 'js' });
const match = router.match('/api/x')!;

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const value = fc.stringMatching(/^[\x21-\x7e]{0,16}$/);

describe('an HTTP/2 request forwarded to HTTP/1.1', () => {
  it('never forwards a pseudo-header, takes :authority as X-Forwarded-Host, joins split cookies in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(token, value), { maxLength: 12 }), fc.array(value, { maxLength: 5 }), fc.domain(), fc.boolean(), (extra, cookies, authority, withHost) => {
        const raw = [':method', 'GET', ':path', '/api/x', ':scheme', 'https', ':authority', authority];
        if (withHost) raw.push('host', 'explicit.example');
        for (const c of cookies) raw.push('cookie', c);
        for (const [n, v] of extra) if (n !== 'cookie' && n !== 'host') raw.push(n, v);
        const r = buildProxyRequest(match, { method: 'GET', headers: raw, clientAddress: '203.0.113.7', protocol: 'https' });
        expect(Object.keys(r.headers).filter((n) => n.startsWith(':'))).toEqual([]);
        expect(r.headers.host).toBe('users.svc:8080');
        expect(r.headers['x-forwarded-host']).toBe(withHost ? 'explicit.example' : authority);
        expect(r.headers['x-forwarded-proto']).toBe('https');
        if (cookies.length === 0) expect(r.headers.cookie).toBeUndefined();
        else expect(r.headers.cookie).toBe(cookies.join('; '));
      }),
    );
  });
});
