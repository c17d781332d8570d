import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertValidRoutes, compile, RoutesValidationError, validateRoutes, type RouteIssue } from '../src/index.js';

const only = (routes: unknown, options = {}) => validateRoutes(routes, options).errors;
const codes = (issues: RouteIssue[]) => issues.map((i) => i.code);

describe('validateRoutes: the legacy checks keep their wording', () => {
  it.each([[[]], ['string'], [42], [true], [[{ '/a': 'https://a' }]]])('not a plain object: %j', (value) => {
    expect(only(value)).toEqual([expect.objectContaining({ code: 'routes-not-object', message: 'Routes must be an object mapping path patterns to target URLs' })]);
  });
  it('empty object', () => {
    expect(only({})).toEqual([expect.objectContaining({ code: 'routes-empty', message: 'Routes object cannot be empty' })]);
  });
  it('pattern without a leading slash', () => {
    expect(only({ 'api/*': 'https://a.com' })).toEqual([
      expect.objectContaining({ code: 'pattern-no-leading-slash', pattern: 'api/*', message: 'Invalid path pattern "api/*". Path patterns must start with "/"' }),
    ]);
  });
  it('target neither a string, a route object nor an array of them (SPEC 7, 10)', () => {
    for (const target of [42, null, true, 1.5]) {
      expect(only({ '/a': target })).toEqual([
        expect.objectContaining({ code: 'target-not-string', pattern: '/a', message: 'Invalid target URL for path "/a". Target must be a string' }),
      ]);
    }
    // SPEC 10 made these forms valid or gave them codes of their own (they were `target-not-string` before).
    expect(only({ '/a': ['https://a'] })).toEqual([]);
    expect(codes(only({ '/a': { url: 'https://a' } }))).toEqual(['route-unknown-field', 'route-target-missing']);
  });
  it('target not a URL', () => {
    for (const target of ['not a url', '', 'https://', '//x.com']) {
      expect(only({ '/a': target })).toEqual([
        expect.objectContaining({ code: 'target-invalid-url', message: `Invalid target URL "${target}" for path "/a". Must be a valid URL` }),
      ]);
    }
  });
  it('target scheme not http/https', () => {
    for (const target of ['ftp://a.com', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://a.com']) {
      expect(only({ '/a': target })).toEqual([
        expect.objectContaining({ code: 'target-bad-protocol', message: `Invalid target URL "${target}" for path "/a". Must use http:// or https:// protocol` }),
      ]);
    }
  });
  it('null and undefined mean "no routes"', () => {
    expect(validateRoutes(null)).toEqual({ valid: true, errors: [], warnings: [] });
    expect(validateRoutes(undefined)).toEqual({ valid: true, errors: [], warnings: [] });
    expect(compile(null).match('/x')).toBeNull();
  });
});

describe('validateRoutes: new checks with their own codes', () => {
  it.each([
    ['/files/*.png', 'wildcard-misplaced'],
    ['/api*', 'wildcard-misplaced'],
    ['/u/:1id', 'param-name-invalid'],
    ['/u/:', 'param-name-invalid'],
    ['/u/:id-x', 'param-name-invalid'],
    ['/u/:__proto__', 'param-name-invalid'],
    ['/u/:id/:id', 'param-name-duplicate'],
    ['/a b', 'pattern-invalid-character'],
    ['/a\tb', 'pattern-invalid-character'],
    ['/a?x=1', 'pattern-invalid-character'],
    ['/a#x', 'pattern-invalid-character'],
    ['/a\\b', 'pattern-invalid-character'],
    ['/a%2Fb', 'pattern-invalid-escape'],
    ['/a%5cb', 'pattern-invalid-escape'],
    ['/a%zz', 'pattern-invalid-escape'],
    ['/a%C3', 'pattern-invalid-escape'],
    ['/a%00', 'pattern-invalid-escape'],
    ['/a/../b', 'pattern-dot-segment'],
    ['/a/./b', 'pattern-dot-segment'],
    ['/a/%2E%2E/b', 'pattern-dot-segment'],
  ])('%s -> %s', (pattern, code) => {
    const errors = only({ [pattern]: 'https://a.com' });
    expect(codes(errors)).toEqual([code]);
    expect(errors[0]).toMatchObject({ pattern, severity: 'error' });
    expect(errors[0]!.message).toContain(pattern);
    expect(errors[0]!.hint).toBeTruthy();
  });

  it('conflicts name both patterns, under the options that decide shape', () => {
    expect(only({ '/u/:id': 'https://a', '/u/:name': 'https://b' })).toEqual([expect.objectContaining({ code: 'conflict', pattern: '/u/:name', conflictsWith: '/u/:id' })]);
    expect(codes(only({ '/u/*/x': 'https://a', '/u/:id/x': 'https://b' }))).toEqual(['conflict']);
    expect(codes(only({ '/café': 'https://a', '/caf%c3%a9': 'https://b' }))).toEqual(['conflict']);
    expect(codes(only({ '/a//b': 'https://a', '/a/b': 'https://b' }))).toEqual(['conflict']);
    expect(only({ '/Api': 'https://a', '/api': 'https://b' })).toEqual([]);
    expect(codes(only({ '/Api': 'https://a', '/api': 'https://b' }, { caseSensitive: false }))).toEqual(['conflict']);
    expect(only({ '/docs': 'https://a', '/docs/': 'https://b' })).toEqual([]);
    expect(codes(only({ '/docs': 'https://a', '/docs/': 'https://b' }, { ignoreTrailingSlash: true }))).toEqual(['conflict']);
  });

  it('target problems: fragment, placeholders the pattern does not capture', () => {
    expect(codes(only({ '/a': 'https://a.com/x#frag' }))).toEqual(['target-fragment']);
    expect(codes(only({ '/a/:id': 'https://a.com/:name' }))).toEqual(['target-unknown-placeholder']);
    expect(codes(only({ '/a/*/b': 'https://a.com/:0' }))).toEqual(['target-unknown-placeholder']);
    expect(codes(only({ '/a/:id': 'https://a.com/*' }))).toEqual(['target-unknown-placeholder']);
    expect(codes(only({ '/a/*': 'https://a.com/*/x/*' }))).toEqual(['target-unknown-placeholder']);
    expect(only({ '/a/:id': 'https://a.com/%3Aid' })).toEqual([]);
  });

  it('limits, each configurable', () => {
    const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`/r${i}`, 'https://a.com']));
    expect(codes(only(many, { limits: { maxRoutes: 10 } }))).toEqual(['too-many-routes']);
    expect(codes(only({ ['/' + 'a'.repeat(30)]: 'https://a.com' }, { limits: { maxPatternLength: 20 } }))).toEqual(['pattern-too-long']);
    expect(codes(only({ '/a': 'https://a.com/' + 'x'.repeat(30) }, { limits: { maxTargetLength: 20 } }))).toEqual(['target-too-long']);
    expect(codes(only({ '/a/b/c/d': 'https://a.com' }, { limits: { maxSegments: 3 } }))).toEqual(['pattern-too-many-segments']);
    expect(only({ ['/' + 'a'.repeat(1000)]: 'https://a.com' })).toEqual([]);
  });

  it('a limit that is not a positive whole number is refused at once, never silently ignored', () => {
    for (const bad of [NaN, -1, 0, 1.5, '10' as unknown as number]) {
      expect(() => validateRoutes({ '/a': 'https://a.com' }, { limits: { maxRoutes: bad } })).toThrow(/limits.maxRoutes must be a positive whole number/);
      expect(() => compile({ '/a': 'https://a.com' }, { limits: { maxPathLength: bad } })).toThrow(RangeError);
    }
    expect(validateRoutes({ '/a': 'https://a.com' }, { limits: { maxRoutes: Infinity } }).valid).toBe(true);
  });

  it('reports every problem at once, in table order', () => {
    const result = validateRoutes({ bad: 'https://a', '/ok': 'ftp://b', '/x/*.png': 5, '/u/:id': 'https://c', '/u/:n': 'https://d' });
    expect(result.valid).toBe(false);
    expect(codes(result.errors)).toEqual(['pattern-no-leading-slash', 'target-bad-protocol', 'wildcard-misplaced', 'target-not-string', 'conflict']);
  });

  it('warnings: unused parameters and a dropped remainder; warnings do not invalidate', () => {
    const r = validateRoutes({ '/users/:id': 'https://u.svc', '/p/:id/*': 'https://p.svc/:id', '/ok/:id/*': 'https://o.svc/:id/*', '/s/*/x': 'https://s.svc' });
    expect(r.valid).toBe(true);
    expect(r.warnings.map((w) => [w.code, w.pattern])).toEqual([
      ['params-unused', '/users/:id'],
      ['remainder-dropped', '/p/:id/*'],
    ]);
  });

  it('assertValidRoutes and compile throw one error carrying every issue', () => {
    let thrown: unknown;
    try {
      assertValidRoutes({ '/a': 'ftp://x', b: 'https://y' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RoutesValidationError);
    expect((thrown as RoutesValidationError).issues.map((i) => i.code)).toEqual(['target-bad-protocol', 'pattern-no-leading-slash']);
    expect((thrown as RoutesValidationError).message).toMatch(/and 1 more problem/);
    expect(() => compile({ '/a': 'ftp://x' })).toThrow(RoutesValidationError);
  });
});

describe('properties', () => {
  it('validation never throws, whatever JSON value it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = validateRoutes(value);
        expect(typeof r.valid).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue())), (value) => {
        expect(typeof validateRoutes(value).valid).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('every issue says which route, which rule and what to do', () => {
    const target = fc.oneof(fc.constantFrom('https://a.com', 'ftp://x', 'nope', 'https://a.com/:x', 'https://a.com/#f', 'https://u:p@a.com'), fc.jsonValue());
    const pattern = fc.oneof(fc.constantFrom('/a', 'a', '/a/*', '/:x', '/:x/:x', '/f/*.png', '/a b', '/a/../b', '/%zz', '/:1'), fc.string());
    fc.assert(
      fc.property(fc.dictionary(pattern, target, { minKeys: 1, maxKeys: 6 }), (table) => {
        const { errors, warnings } = validateRoutes(table);
        for (const issue of [...errors, ...warnings]) {
          expect(issue.code).toMatch(/^[a-z-]+$/);
          expect(issue.message.length).toBeGreaterThan(10);
          expect(issue.hint?.length, issue.code).toBeGreaterThan(5);
          expect(issue.pattern, issue.code).toBeTypeOf('string');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('validation never throws on hostile objects either', () => {
    const throwing = Object.defineProperty({}, '/a', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    expect(validateRoutes(throwing).valid).toBe(false);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(validateRoutes(revoked.proxy).valid).toBe(false);
    expect(validateRoutes(Object.create(null)).errors[0]!.code).toBe('routes-empty');
  });
});
