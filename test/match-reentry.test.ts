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
