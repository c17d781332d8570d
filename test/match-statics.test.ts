/**
 * The static fast path (src/match/router.ts `staticMatch`): a fully static route found by its
 * path answers at once only when one of its variants takes the request's method; otherwise the
 * lookup goes on to the parameter and catch-all candidates, and the 405 information stays the
 * walk's. Every backend (the native one uses the fast path) must answer as the walk does.
 */
import { describe, expect, it } from 'vitest';
import { compile, type MatchRequest, type RouteMatch } from '../src/index.js';
import { BACKENDS } from './helpers.js';

const TABLE = {
  '/users/me': [
    { methods: ['POST'], target: 'http://me-post' },
    { methods: ['GET'], target: 'http://me-get' },
  ],
  '/users/:id': { methods: ['DELETE'], target: 'http://user' },
  '/users/*': { methods: ['PUT'], target: 'http://users-rest' },
  '/health': 'http://health',
  '/admin': { host: 'admin.example', target: 'http://admin' },
  '/:section': 'http://section',
};

const summary = (m: RouteMatch | null) => (m === null ? null : { pattern: m.pattern, target: m.target, variant: m.variant.index, params: m.params, remainder: m.remainder });

describe.each(BACKENDS)('the $name backend', ({ options }) => {
  const router = compile(TABLE, options);
  const at = (path: string, request?: MatchRequest) => summary(router.match(path, request));

  it('answers a static route with the first variant that takes the method', () => {
    expect(at('/users/me', { method: 'GET' })).toEqual({ pattern: '/users/me', target: 'http://me-get', variant: 1, params: {}, remainder: undefined });
    expect(at('/users/me', { method: 'POST' })).toEqual({ pattern: '/users/me', target: 'http://me-post', variant: 0, params: {}, remainder: undefined });
    expect(at('/users/me', { method: 'HEAD' })).toMatchObject({ target: 'http://me-get', variant: 1 });
    expect(at('/health')).toEqual({ pattern: '/health', target: 'http://health', variant: 0, params: {}, remainder: undefined });
  });

  it('passes a refused static route on to the parameter and catch-all candidates', () => {
    expect(at('/users/me', { method: 'DELETE' })).toMatchObject({ pattern: '/users/:id', params: { id: 'me' } });
    expect(at('/users/me', { method: 'PUT' })).toMatchObject({ pattern: '/users/*', remainder: '/me' });
    expect(at('/users/me')).toBeNull();
    expect(router.allowedMethods('/users/me', { method: 'PATCH' }).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'POST', 'PUT']);
  });

  it('leaves host conditions to the walk', () => {
    expect(at('/admin', { method: 'GET', host: 'admin.example' })).toMatchObject({ pattern: '/admin' });
    expect(at('/admin', { method: 'GET', host: 'www.example' })).toMatchObject({ pattern: '/:section', params: { section: 'admin' } });
  });

  it('reads a throwing method getter as no method, and a getter that matches again gets its own answer', () => {
    const throwing = {
      get method(): string {
        throw new Error('no method');
      },
    };
    expect(at('/users/me', throwing)).toBeNull();
    expect(at('/health', throwing)).toMatchObject({ pattern: '/health' });
    let inner: RouteMatch | null = null;
    const reentering = {
      get method(): string {
        inner ??= router.match('/users/7', { method: 'DELETE' });
        return 'GET';
      },
    };
    expect(at('/users/me', reentering)).toMatchObject({ pattern: '/users/me', variant: 1 });
    expect(summary(inner)).toMatchObject({ pattern: '/users/:id', params: { id: '7' } });
  });
});

it('a static route under ignoreTrailingSlash answers with and without the slash, on every backend', () => {
  for (const { options } of BACKENDS) {
    const router = compile(TABLE, { ...options, ignoreTrailingSlash: true });
    expect(summary(router.match('/users/me/', { method: 'GET' }))).toMatchObject({ pattern: '/users/me', variant: 1 });
    expect(summary(router.match('/users/me/', { method: 'DELETE' }))).toMatchObject({ pattern: '/users/:id', params: { id: 'me' } });
  }
});
