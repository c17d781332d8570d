/**
 * src/match/router.ts: a condition that looks a path up on the same router while the router
 * is matching (a headers function calling `match`) leaves the outer lookup's answer intact,
 * on every backend.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { loadNativeBackend } from '../src/match/native.js';

const ROUTES = {
  '/a/:id': [
    { headers: { 'x-v': '2' }, target: 'http://two' },
    { host: 'a.test', target: 'http://host' },
  ],
  '/a/*': { methods: ['GET'], target: 'http://rest' },
  '/b/:id': { host: 'b.test', headers: { 'x-v': '1' }, target: 'http://b' },
};
const BACKENDS = [{ backend: 'js' as const }, { backend: 'js' as const, codegen: false }, ...(loadNativeBackend().ok ? [{ backend: 'native' as const }] : [])];

describe('a condition that re-enters match', () => {
  it.each(BACKENDS)('%o: the outer lookup keeps its request, view and chosen variant', (options) => {
    const router = compile(ROUTES, options);
    const inner: (string | null)[] = [];
    const headers = (name: string): string | null => {
      if (name === 'x-v') {
        const m = router.match('/b/7', { host: 'b.test', headers: { 'x-v': '1' } });
        inner.push(m?.target ?? null);
        return '3';
      }
      return null;
    };
    const outer = router.match('/a/1', { method: 'GET', host: 'A.TEST', headers });
    expect(outer?.target).toBe('http://host');
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.every((t) => t === 'http://b')).toBe(true);
    // The same request without re-entry gets the same answer.
    expect(router.match('/a/1', { method: 'GET', host: 'A.TEST', headers: { 'x-v': '3' } })?.target).toBe('http://host');
    // And a later lookup does not see the earlier request.
    expect(router.match('/a/1', { method: 'GET' })?.target).toBe('http://rest');
  });
});

describe('a condition that re-enters match, captures', () => {
  it.each(BACKENDS)('%o: the outer lookup keeps its parameter values', (options) => {
    const router = compile({ ...ROUTES, '/c/:id/:x': { headers: { 'x-v': '3' }, target: 'http://c' } }, options);
    const headers = (name: string): string | null => {
      if (name !== 'x-v') return null;
      // Longer values than the outer ones, at other offsets: clobbered captures would show.
      expect(router.match('/b/7777777', { host: 'b.test', headers: { 'x-v': '1' } })?.params).toEqual({ id: '7777777' });
      return '3';
    };
    const outer = router.match('/c/12/z', { headers });
    expect(outer && { target: outer.target, params: outer.params }).toEqual({ target: 'http://c', params: { id: '12', x: 'z' } });
  });
});

describe('a methods-only table whose request reads its method through a getter', () => {
  const METHODS_ONLY = {
    '/a/:id': [
      { methods: ['GET'], target: 'http://get' },
      { methods: ['POST'], target: 'http://post' },
    ],
    '/b/:id/:rest': { methods: ['GET'], target: 'http://b' },
    '/a/:id/*': 'http://rest',
  };

  it.each(BACKENDS)('%o: a getter that re-enters match leaves the outer captures and method intact', (options) => {
    const router = compile(METHODS_ONLY, options);
    const inner: (string | null)[] = [];
    const request = {
      get method(): string {
        // Longer values than the outer ones, at other offsets: clobbered captures would show.
        const m = router.match('/a/7777777', { method: 'POST' });
        inner.push(m === null ? null : `${m.target} ${m.params.id}`);
        return 'GET';
      },
    };
    const outer = router.match('/b/12/x', request);
    expect(outer && { target: outer.target, params: outer.params }).toEqual({ target: 'http://b', params: { id: '12', rest: 'x' } });
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.every((t) => t === 'http://post 7777777')).toBe(true);
    // Later lookups are unaffected.
    expect(router.match('/a/34', { method: 'GET' })?.params).toEqual({ id: '34' });
    expect(router.match('/a/34/x/y', { method: 'PUT' })?.remainder).toBe('/x/y');
  });

  it.each(BACKENDS)('%o: a getter that throws reads as no method, and matching goes on', (options) => {
    const router = compile(METHODS_ONLY, options);
    const request = {
      get method(): string {
        throw new Error('no method here');
      },
    };
    // `/a/:id/*` takes any method, and its catch-all also matches nothing after `/a/1`.
    expect(router.match('/a/1', request)?.target).toBe('http://rest');
    expect(router.match('/b/1/z', request)).toBeNull();
    expect(router.match('/a/1', { method: 'GET' })?.target).toBe('http://get');
  });

  it.each(BACKENDS)('%o: the method is read at most once per match call, whatever the path', (options) => {
    // Static hit, static path whose route lacks the method (405: the walk goes on), parameter
    // hits with several variants, a catch-all taking any method, misses.
    const router = compile(
      {
        ...METHODS_ONLY,
        '/s': [
          { methods: ['GET'], target: 'http://s-get' },
          { methods: ['PUT'], target: 'http://s-put' },
        ],
      },
      options,
    );
    const cases: [string, string, string | null][] = [
      ['/s', 'PUT', 'http://s-put'],
      ['/s', 'POST', null],
      ['/a/1', 'POST', 'http://post'],
      ['/a/1', 'DELETE', 'http://rest'],
      ['/b/1/z', 'POST', null],
      ['/a/1/x', 'DELETE', 'http://rest'],
      ['/b/1/z', 'GET', 'http://b'],
      ['/b/1', 'GET', null],
      ['/c/1', 'GET', null],
    ];
    for (const [path, method, target] of cases) {
      let reads = 0;
      const request = {
        get method(): string {
          reads++;
          return method;
        },
      };
      expect(router.match(path, request)?.target ?? null, `${method} ${path}`).toBe(target);
      expect(reads, `${method} ${path}`).toBeLessThanOrEqual(1);
    }
  });
});
