import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath, type NormalizeResult } from '../src/index.js';

const ok = (path: string, query = '') => ({ ok: true, path, query });
const err = (r: NormalizeResult) => (r.ok ? r : { status: r.status, code: r.code });

describe('normalizePath (SPEC section 4)', () => {
  it.each([
    ['/', '/'],
    ['/api/users/42', '/api/users/42'],
    ['/a//b', '/a/b'],
    ['//admin', '/admin'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a//../b', '/b'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E%2E/%2e/b', '/b'],
    ['/a/.%2E/b', '/b'],
    ['/%7Euser/%41%42c', '/~user/ABc'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b', '/a%20b'],
    ['/a%3ab', '/a%3Ab'],
    ['/docs/', '/docs/'],
    ['/.hidden/x', '/.hidden/x'],
    ['/a/...', '/a/...'],
  ])('%s -> %s', (raw, path) => {
    expect(normalizePath(raw)).toEqual(ok(path));
  });

  it('splits the query off, keeps it as sent, drops the fragment', () => {
    expect(normalizePath('/a?x=1&y=%20')).toEqual(ok('/a', 'x=1&y=%20'));
    expect(normalizePath('/a/../b?q=/../#frag')).toEqual(ok('/b', 'q=/../'));
    expect(normalizePath('/a#frag?x')).toEqual(ok('/a'));
    expect(normalizePath('/a?')).toEqual(ok('/a'));
  });

  it.each([
    ['api/users', 400, 'no-leading-slash'],
    ['', 400, 'no-leading-slash'],
    ['?x', 400, 'no-leading-slash'],
    ['/a b', 400, 'invalid-character'],
    ['/a\u0000b', 400, 'invalid-character'],
    ['/a\nb', 400, 'invalid-character'],
    ['/a\u007fb', 400, 'invalid-character'],
    ['/a\\b', 400, 'invalid-character'],
    ['/\\evil.com', 400, 'invalid-character'],
    ['/café', 400, 'invalid-character'],
    ['/a%', 400, 'malformed-escape'],
    ['/a%2', 400, 'malformed-escape'],
    ['/a%zz', 400, 'malformed-escape'],
    ['/a%C3', 400, 'invalid-utf8'],
    ['/a%FF', 400, 'invalid-utf8'],
    ['/a%C0%AF', 400, 'invalid-utf8'],
    ['/a%ED%A0%80', 400, 'invalid-utf8'],
    ['/a%00', 400, 'encoded-nul'],
    ['/a%2Fb', 400, 'encoded-slash'],
    ['/a%2fb', 400, 'encoded-slash'],
    ['/a%5Cb', 400, 'encoded-slash'],
    ['/..%2F..%2Fetc', 400, 'encoded-slash'],
    ['/a?x y', 400, 'invalid-query'],
    ['/a?x=\u00e9', 400, 'invalid-query'],
    ['/a?x=\r\n', 400, 'invalid-query'],
  ])('%j -> %i %s', (raw, status, code) => {
    expect(err(normalizePath(raw))).toEqual({ status, code });
  });

  it('answers 414 for overlong paths and too many segments; limits are configurable', () => {
    expect(err(normalizePath('/' + 'a'.repeat(8192)))).toEqual({ status: 414, code: 'path-too-long' });
    expect(normalizePath('/' + 'a'.repeat(8191)).ok).toBe(true);
    expect(err(normalizePath('/a'.repeat(257)))).toEqual({ status: 414, code: 'too-many-segments' });
    expect(normalizePath('/a'.repeat(256)).ok).toBe(true);
    expect(err(normalizePath('/abc', { maxPathLength: 3 }))).toEqual({ status: 414, code: 'path-too-long' });
    expect(err(normalizePath('/a/b/c', { maxSegments: 2 }))).toEqual({ status: 414, code: 'too-many-segments' });
    // the query does not count toward the path's length
    expect(normalizePath('/a?' + 'q'.repeat(10_000)).ok).toBe(true);
  });

  it('keeps encoded slashes opaque when asked to', () => {
    expect(normalizePath('/a%2fb/../c', { allowEncodedSlashes: true })).toEqual(ok('/c'));
    expect(normalizePath('/a%2fb', { allowEncodedSlashes: true })).toEqual(ok('/a%2Fb'));
  });
});

const pathChars = fc.constantFrom('a', 'B', '/', '/', '.', '%', '2', 'e', 'E', 'F', 'C', '3', 'A', '9', '~', '-', ':', '@', '!', ' ', '\\', '?', '#', 'é', '\u0000');
const rawPath = fc.array(pathChars, { maxLength: 40 }).map((cs) => '/' + cs.join(''));

describe('normalizePath properties', () => {
  it('is idempotent, never throws, and its output is canonical', () => {
    fc.assert(
      fc.property(fc.oneof(rawPath, fc.string(), fc.webPath()), (raw) => {
        const once = normalizePath(raw);
        if (!once.ok) {
          expect([400, 414]).toContain(once.status);
          return;
        }
        const twice = normalizePath(once.path + (once.query ? '?' + once.query : ''));
        expect(twice).toEqual(once);
        expect(once.path.startsWith('/')).toBe(true);
        expect(once.path).not.toMatch(/\/\/|\/\.\.?(\/|$)|%(2[eE]|[0-9a-f][a-f]|[a-f][0-9a-f])/);
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees with WHATWG URL on dot segments for plain paths', () => {
    const seg = fc.constantFrom('a', 'b', '.', '..', 'c');
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 8 }), (segs) => {
        const raw = '/' + segs.join('/');
        const r = normalizePath(raw);
        expect(r.ok && r.path).toBe(new URL(raw, 'http://x').pathname);
      }),
      { numRuns: 5_000 },
    );
  });
});
