import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { BACKENDS, routerFor, summary } from './helpers.js';

const SEED = {
  '/api/users/*': 'https://users-service.com',
  '/api/products/*': 'https://products-service.com',
  '/*': 'https://default.com',
};

describe.each(BACKENDS)('SPEC examples, $name backend', (backend) => {
  it('section 2: a catch-all matches zero or more segments, never a longer segment', () => {
    const r = routerFor({ '/api/*': 'https://a.svc' }, backend);
    expect(summary(r, '/api')).toEqual({ pattern: '/api/*', params: {}, remainder: '' });
    expect(summary(r, '/api/')).toEqual({ pattern: '/api/*', params: {}, remainder: '/' });
    expect(summary(r, '/api/x')).toEqual({ pattern: '/api/*', params: {}, remainder: '/x' });
    expect(summary(r, '/api/x/y')).toEqual({ pattern: '/api/*', params: {}, remainder: '/x/y' });
    expect(r.match('/apix')).toBeNull();
  });

  it('section 2: /* matches every path', () => {
    const r = routerFor({ '/*': 'https://d.com' }, backend);
    expect(summary(r, '/')).toEqual({ pattern: '/*', params: {}, remainder: '/' });
    expect(summary(r, '/about')).toEqual({ pattern: '/*', params: {}, remainder: '/about' });
    expect(summary(r, '/a/b/c')).toEqual({ pattern: '/*', params: {}, remainder: '/a/b/c' });
  });

  it('section 2: named and anonymous parameters, static segments with a colon', () => {
    const r = routerFor({ '/u/:id': 'https://a', '/f/*/x/*/y': 'https://b', '/v1/abc:run': 'https://c' }, backend);
    expect(summary(r, '/u/42')).toEqual({ pattern: '/u/:id', params: { id: '42' } });
    expect(summary(r, '/f/p/x/q/y')).toEqual({ pattern: '/f/*/x/*/y', params: { 0: 'p', 1: 'q' } });
    expect(summary(r, '/v1/abc:run')).toEqual({ pattern: '/v1/abc:run', params: {} });
    expect(r.match('/u/')).toBeNull();
    expect(r.match('/u/42/x')).toBeNull();
  });

  it('section 2: a trailing slash is significant unless ignoreTrailingSlash', () => {
    const strict = routerFor({ '/docs': 'https://a', '/files/': 'https://b' }, backend);
    expect(summary(strict, '/docs')?.pattern).toBe('/docs');
    expect(strict.match('/docs/')).toBeNull();
    expect(strict.match('/files')).toBeNull();
    const loose = routerFor({ '/docs': 'https://a', '/files/': 'https://b', '/api/*': 'https://c', '/u/:id': 'https://d' }, backend, { ignoreTrailingSlash: true });
    expect(summary(loose, '/docs/')?.pattern).toBe('/docs');
    expect(summary(loose, '/files')?.pattern).toBe('/files/');
    expect(summary(loose, '/u/7/')).toEqual({ pattern: '/u/:id', params: { id: '7' } });
    // the remainder is the path exactly as requested
    expect(summary(loose, '/api/x/')).toEqual({ pattern: '/api/*', params: {}, remainder: '/x/' });
    expect(summary(loose, '/api/')).toEqual({ pattern: '/api/*', params: {}, remainder: '/' });
  });

  it('section 3: the precedence table', () => {
    expect(summary(routerFor({ '/api/users': 'https://a', '/api/*': 'https://b' }, backend), '/api/users')?.pattern).toBe('/api/users');
    expect(summary(routerFor({ '/api/:x/c': 'https://a', '/api/b/*': 'https://b' }, backend), '/api/b/c')?.pattern).toBe('/api/b/*');
    expect(summary(routerFor({ '/a/:x/c': 'https://a', '/a/*': 'https://b' }, backend), '/a/b/d')?.pattern).toBe('/a/*');
    expect(summary(routerFor({ '/api/*': 'https://a', '/api/v2/*': 'https://b', '/*': 'https://c' }, backend), '/api/v2/users/1')).toEqual({
      pattern: '/api/v2/*',
      params: {},
      remainder: '/users/1',
    });
  });

  it('section 3: at the end of the path a route ending there beats a catch-all; a param never matches a missing segment', () => {
    expect(summary(routerFor({ '/api/*': 'https://b', '/api': 'https://a' }, backend), '/api')?.pattern).toBe('/api');
    expect(summary(routerFor({ '/api/:id': 'https://a', '/api/*': 'https://b' }, backend), '/api')?.pattern).toBe('/api/*');
    expect(summary(routerFor({ '/api/:id': 'https://a', '/api/*': 'https://b' }, backend), '/api/')?.pattern).toBe('/api/*');
  });

  it('section 3: declaration order never changes the result', () => {
    const entries = Object.entries({ '/api/*': 'https://a', '/api/v2/*': 'https://b', '/*': 'https://c', '/api/:id': 'https://d', '/api/users': 'https://e' });
    const forward = routerFor(Object.fromEntries(entries), backend);
    const backward = routerFor(Object.fromEntries([...entries].reverse()), backend);
    for (const p of ['/api/v2/users/1', '/api/users', '/api/7', '/api/7/x', '/x', '/', '/api', '/api/v2']) {
      expect(summary(backward, p)).toEqual(summary(forward, p));
    }
  });

  it('section 4: case-insensitive matching folds ASCII letters and keeps the values', () => {
    const r = routerFor({ '/Api/Users/:id': 'https://a', '/caf%C3%A9': 'https://b' }, backend, { caseSensitive: false });
    expect(summary(r, '/api/USERS/AbC')).toEqual({ pattern: '/Api/Users/:id', params: { id: 'AbC' } });
    expect(summary(r, '/CAF%c3%a9')?.pattern).toBe('/caf%C3%A9');
    expect(routerFor({ '/Api': 'https://a' }, backend).match('/api')).toBeNull();
  });

  it('section 4: non-ASCII patterns match their percent-encoded paths; values are decoded, the remainder is not', () => {
    const r = routerFor({ '/café/:name': 'https://a', '/files/*': 'https://b' }, backend);
    expect(summary(r, '/caf%C3%A9/J%C3%BCrgen')).toEqual({ pattern: '/café/:name', params: { name: 'Jürgen' } });
    expect(summary(r, '/files/a%20b/c')).toEqual({ pattern: '/files/*', params: {}, remainder: '/files/a%20b/c'.slice(6) });
  });

  it('section 5: the match carries pattern, target, params and remainder; match never throws', () => {
    const r = routerFor(SEED, backend);
    const m = r.match('/api/users/42/orders');
    expect(m).toMatchObject({ pattern: '/api/users/*', target: 'https://users-service.com', params: {}, remainder: '/42/orders' });
    expect(r.match('/about')?.pattern).toBe('/*');
    for (const junk of ['', 'no-slash', '\u0000', '/\uD800', '%', '/'.repeat(10_000)]) expect(() => r.match(junk)).not.toThrow();
    expect(r.match('')).toBeNull();
    expect(r.match('relative')).toBeNull();
  });
});

describe('SPEC section 6: target URLs', () => {
  const url = (routes: Record<string, string>, path: string, query = '') => {
    const r = compile(routes);
    const m = r.match(path);
    return m ? r.url(m, query) : null;
  };
  it('appends the remainder to a target without placeholders (nginx proxy_pass with a URI)', () => {
    expect(url(SEED, '/api/users/42')).toBe('https://users-service.com/42');
    expect(url(SEED, '/api/users')).toBe('https://users-service.com/');
    expect(url(SEED, '/about')).toBe('https://default.com/about');
    expect(url({ '/api/*': 'https://a.svc/base/' }, '/api/x/y')).toBe('https://a.svc/base/x/y');
    expect(url({ '/api/*': 'https://a.svc/base/' }, '/api')).toBe('https://a.svc/base');
  });
  it('fills placeholders', () => {
    expect(url({ '/users/:id/*': 'https://u.svc/v2/:id/*' }, '/users/7/orders')).toBe('https://u.svc/v2/7/orders');
    expect(url({ '/users/:id/*': 'https://u.svc/v2/:id/*' }, '/users/7')).toBe('https://u.svc/v2/7');
    expect(url({ '/users/:id': 'https://u.svc/:id/profile' }, '/users/a%2Fb'.replace('%2F', '%20'))).toBe('https://u.svc/a%20b/profile');
    expect(url({ '/users/:id/*': 'https://u.svc/v2/:id' }, '/users/7/orders')).toBe('https://u.svc/v2/7');
  });
  it('never throws while building a URL, even from a raw path holding a lone surrogate', () => {
    expect(url({ '/u/:id': 'https://u.svc/:id' }, '/u/a\uD800b')).toBe('https://u.svc/a%EF%BF%BDb');
    expect(url({ '/u/:id': 'https://u.svc/:id' }, '/u/\uD83D\uDE00')).toBe('https://u.svc/%F0%9F%98%80');
  });
  it('forwards a pattern without a catch-all to the target as written', () => {
    expect(url({ '/login': 'https://a.svc/auth/login' }, '/login')).toBe('https://a.svc/auth/login');
  });
  it("merges the request's query after the target's", () => {
    expect(url({ '/s/*': 'https://a.svc/search?key=1' }, '/s/x', 'q=2')).toBe('https://a.svc/search/x?key=1&q=2');
    expect(url({ '/s/*': 'https://a.svc' }, '/s/x', 'q=2')).toBe('https://a.svc/x?q=2');
    expect(url({ '/s/*': 'https://a.svc?k=1' }, '/s', '')).toBe('https://a.svc/?k=1');
  });
  it('keeps the origin: nothing in the path can change it', () => {
    for (const p of ['//evil.com', '/@evil.com', '/..//evil.com', '/\\evil']) {
      const u = url({ '/*': 'https://default.com' }, p);
      expect(u === null || new URL(u).origin === 'https://default.com').toBe(true);
    }
  });
});
