/**
 * Limits (issue 5, SPEC section 7): every input that can cause work is bounded, each bound
 * has a default, each is configurable, and each violation is a typed answer: a 414 (path
 * length, segment count) from `normalizePath`, or a validation issue with a stable code
 * (routes, pattern length, pattern segments, target length) from `validateRoutes`, thrown by
 * `compile` as `RoutesValidationError`.
 *
 * A parameter value has no limit of its own: it is a slice of a path that `normalizePath`
 * has already bounded (maxPathLength), which the last tests show.
 */
import { describe, expect, it } from 'vitest';
import { compile, DEFAULT_LIMITS, normalizePath, RoutesValidationError, validateRoutes, type CompileOptions, type Limits, type Router } from '../src/index.js';
import { loadNativeBackend } from '../src/match/native.js';

const native = loadNativeBackend();
/** The matchers: generated TypeScript, the TypeScript interpreter, native (when it loads). */
const VARIANTS: CompileOptions[] = [{ backend: 'js' }, { backend: 'js', codegen: false }, ...(native.ok ? [{ backend: 'native' as const }] : [])];
const label = (v: CompileOptions) => (v.codegen === false ? 'js interpreter' : v.backend!);

const T = 'https://svc.example';

/** The codes of a table's validation errors under some limits. */
function codes(table: unknown, limits?: Partial<Limits>): string[] {
  return validateRoutes(table, { limits }).errors.map((e) => e.code);
}

/** compile throws RoutesValidationError carrying `code`, on every backend. */
function expectCompileError(table: unknown, code: string, limits?: Partial<Limits>) {
  for (const variant of VARIANTS) {
    let thrown: unknown;
    try {
      compile(table, { ...variant, limits });
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${label(variant)}: compile did not throw`).toBeInstanceOf(RoutesValidationError);
    const err = thrown as RoutesValidationError;
    expect(err.code).toBe('ERR_INVALID_ROUTES');
    expect(err.issues.map((i) => i.code)).toContain(code);
    const issue = err.issues.find((i) => i.code === code)!;
    expect(issue.severity).toBe('error');
    expect(issue.message).toMatch(/limit/);
    expect(issue.hint).toMatch(/limits\./);
  }
}

function compiles(table: unknown, limits?: Partial<Limits>): Router[] {
  return VARIANTS.map((variant) => compile(table, { ...variant, limits }));
}

const segs = (n: number, seg = 'a') => '/' + Array.from({ length: n }, () => seg).join('/');

describe('limits: the defaults are the documented ones', () => {
  it('10,000 routes, 1,024 per pattern, 2,048 per target, 8,192 per path, 256 segments', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxRoutes: 10_000, maxPatternLength: 1_024, maxTargetLength: 2_048, maxPathLength: 8_192, maxSegments: 256 });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
    expect(compile({ '/a': T }, { backend: 'js' }).options.limits).toEqual(DEFAULT_LIMITS);
  });

  it('a compiled router reports the limits it was given (for the proxy to normalize with)', () => {
    const limits = { maxRoutes: 5, maxPatternLength: 50, maxTargetLength: 60, maxPathLength: 70, maxSegments: 8 };
    for (const r of compiles({ '/a': T }, limits)) expect(r.options.limits).toEqual(limits);
    // a partial override keeps the other defaults; undefined means "default"
    for (const r of compiles({ '/a': T }, { maxSegments: 3, maxRoutes: undefined })) expect(r.options.limits).toEqual({ ...DEFAULT_LIMITS, maxSegments: 3 });
  });
});

describe('limits: request path length -> 414 path-too-long', () => {
  it('default 8,192 characters, counted before the query', () => {
    expect(normalizePath('/' + 'a'.repeat(8191))).toMatchObject({ ok: true });
    expect(normalizePath('/' + 'a'.repeat(8192))).toMatchObject({ ok: false, status: 414, code: 'path-too-long' });
    expect(normalizePath('/' + 'a'.repeat(8191) + '?' + 'q'.repeat(100_000))).toMatchObject({ ok: true });
    // counted on the raw text, before `//`, dot segments and escapes shrink it
    expect(normalizePath('/' + '/'.repeat(8192))).toMatchObject({ ok: false, status: 414, code: 'path-too-long' });
    expect(normalizePath('/' + '%41'.repeat(2731))).toMatchObject({ ok: false, status: 414, code: 'path-too-long' });
    expect(normalizePath('/' + '%41'.repeat(2730))).toMatchObject({ ok: true, path: '/' + 'A'.repeat(2730) });
  });

  it('configurable both ways, with the boundary exact', () => {
    for (const max of [1, 2, 10, 100, 20_000, 1 << 20]) {
      const at = '/' + 'b'.repeat(max - 1);
      expect(normalizePath(at, { maxPathLength: max }), `max ${max}`).toMatchObject({ ok: true, path: at });
      const over = normalizePath(at + 'b', { maxPathLength: max });
      expect(over).toMatchObject({ ok: false, status: 414, code: 'path-too-long' });
      expect(!over.ok && over.message).toMatch(/longer than the limit/);
    }
  });

  it('length is checked before anything else in the path, so an overlong path is 414 whatever it holds', () => {
    for (const junk of ['%zz', '\u0000', ' ', '\\', 'é', '%2F', '%00']) {
      expect(normalizePath('/' + 'a'.repeat(9000) + junk)).toMatchObject({ status: 414, code: 'path-too-long' });
    }
  });
});

describe('limits: segments per path -> 414 too-many-segments', () => {
  it('default 256, counted after normalization', () => {
    expect(normalizePath(segs(256))).toMatchObject({ ok: true });
    expect(normalizePath(segs(257))).toMatchObject({ ok: false, status: 414, code: 'too-many-segments' });
    // a trailing slash is one more (empty) segment
    expect(normalizePath(segs(255) + '/')).toMatchObject({ ok: true });
    expect(normalizePath(segs(256) + '/')).toMatchObject({ ok: false, status: 414, code: 'too-many-segments' });
    // runs of `/` merge and `..` removes before counting
    expect(normalizePath(segs(256).replace(/\//g, '//'))).toMatchObject({ ok: true });
    expect(normalizePath(segs(300) + '/..'.repeat(50))).toMatchObject({ ok: true });
    expect(normalizePath(segs(300) + '/%2e%2e'.repeat(44))).toMatchObject({ ok: false, status: 414, code: 'too-many-segments' });
  });

  it('configurable, with the boundary exact, on the fast and the slow path', () => {
    for (const max of [1, 2, 5, 300, 5_000]) {
      expect(normalizePath(segs(max), { maxSegments: max, maxPathLength: 1e6 }), `max ${max}`).toMatchObject({ ok: true });
      expect(normalizePath(segs(max + 1), { maxSegments: max, maxPathLength: 1e6 })).toMatchObject({ ok: false, status: 414, code: 'too-many-segments' });
      // slow path (an escape somewhere)
      expect(normalizePath(segs(max, '%41'), { maxSegments: max, maxPathLength: 1e6 })).toMatchObject({ ok: true });
      const over = normalizePath(segs(max + 1, '%41'), { maxSegments: max, maxPathLength: 1e6 });
      expect(over).toMatchObject({ ok: false, status: 414, code: 'too-many-segments' });
      expect(!over.ok && over.message).toMatch(/more segments than the limit/);
    }
  });
});

describe('limits: routes per table -> too-many-routes', () => {
  const table = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`/t${i}/*`, T]));

  it('default 10,000: a table of 10,000 compiles, 10,001 is refused', () => {
    expect(codes(table(10_000))).toEqual([]);
    for (const r of compiles(table(10_000))) expect(r.match('/t9999/x')?.pattern).toBe('/t9999/*');
    expect(codes(table(10_001))).toEqual(['too-many-routes']);
    expectCompileError(table(10_001), 'too-many-routes');
  });

  it('configurable both ways', () => {
    expect(codes(table(3), { maxRoutes: 3 })).toEqual([]);
    expect(codes(table(4), { maxRoutes: 3 })).toEqual(['too-many-routes']);
    expectCompileError(table(4), 'too-many-routes', { maxRoutes: 3 });
    expect(codes(table(10_050), { maxRoutes: 10_050 })).toEqual([]);
    compiles(table(10_050), { maxRoutes: 10_050 });
  });
});

describe('limits: characters per pattern -> pattern-too-long', () => {
  const pattern = (n: number) => '/' + 'p'.repeat(n - 1);

  it('default 1,024', () => {
    expect(codes({ [pattern(1024)]: T })).toEqual([]);
    expect(codes({ [pattern(1025)]: T })).toEqual(['pattern-too-long']);
    expectCompileError({ [pattern(1025)]: T }, 'pattern-too-long');
    const issue = validateRoutes({ [pattern(1025)]: T }).errors[0]!;
    expect(issue.pattern).toBe(pattern(1025));
    expect(issue.message).toMatch(/1025 characters long; the limit is 1024/);
  });

  it('configurable both ways', () => {
    expect(codes({ [pattern(10)]: T }, { maxPatternLength: 10 })).toEqual([]);
    expect(codes({ [pattern(11)]: T }, { maxPatternLength: 10 })).toEqual(['pattern-too-long']);
    expectCompileError({ [pattern(11)]: T }, 'pattern-too-long', { maxPatternLength: 10 });
    for (const r of compiles({ [pattern(5000)]: T }, { maxPatternLength: 5000 })) expect(r.match(pattern(5000))?.target).toBe(T);
  });
});

describe('limits: segments per pattern -> pattern-too-many-segments', () => {
  it('default 256 (the same limit as request paths)', () => {
    expect(codes({ [segs(256)]: T })).toEqual([]);
    expect(codes({ [segs(257)]: T })).toEqual(['pattern-too-many-segments']);
    expectCompileError({ [segs(257)]: T }, 'pattern-too-many-segments');
    // a pattern of 256 parameters (255 anonymous, one named) compiles and matches 256 segments
    const params = segs(255, '*') + '/:z';
    expect(params.length).toBeLessThanOrEqual(1024);
    for (const r of compiles({ [params]: T })) expect(Object.keys(r.match(segs(256, 'v'))!.params)).toHaveLength(256);
  });

  it('configurable both ways', () => {
    expect(codes({ [segs(4)]: T }, { maxSegments: 4 })).toEqual([]);
    expect(codes({ [segs(5)]: T }, { maxSegments: 4 })).toEqual(['pattern-too-many-segments']);
    expectCompileError({ [segs(5)]: T }, 'pattern-too-many-segments', { maxSegments: 4 });
    expect(codes({ [segs(600)]: T }, { maxSegments: 600, maxPatternLength: 2000 })).toEqual([]);
  });

  it('a raised segment limit still compiles to a router or throws RoutesValidationError (deep parameter chains)', () => {
    // 1,000 parameters in one pattern, under limits raised to allow it. The tree is 2,000 nodes
    // deep; building or matching it must not overflow the stack (RangeError).
    const n = 1_000;
    const deep = '/' + Array.from({ length: n }, (_, i) => ':p' + i).join('/');
    const limits = { maxSegments: 2 * n, maxPatternLength: 10 * n, maxPathLength: 10 * n };
    expect(codes({ [deep]: T }, limits)).toEqual([]);
    for (const variant of VARIANTS) {
      let router: Router | undefined;
      let thrown: unknown;
      try {
        router = compile({ [deep]: T, '/*': T }, { ...variant, limits });
      } catch (e) {
        thrown = e;
      }
      expect(thrown === undefined || thrown instanceof RoutesValidationError, `${label(variant)}: compile threw ${String(thrown)}`).toBe(true);
      if (router) expect(Object.keys(router.match(segs(n, 'v'))?.params ?? {})).toHaveLength(n);
    }
  });
});

describe('limits: characters per target -> target-too-long', () => {
  const target = (n: number) => 'https://t.example/' + 'x'.repeat(n - 'https://t.example/'.length);

  it('default 2,048', () => {
    expect(target(2048)).toHaveLength(2048);
    expect(codes({ '/a': target(2048) })).toEqual([]);
    expect(codes({ '/a': target(2049) })).toEqual(['target-too-long']);
    expectCompileError({ '/a': target(2049) }, 'target-too-long');
    const issue = validateRoutes({ '/a': target(2049) }).errors[0]!;
    expect(issue).toMatchObject({ pattern: '/a', target: target(2049) });
  });

  it('configurable both ways', () => {
    expect(codes({ '/a': target(30) }, { maxTargetLength: 30 })).toEqual([]);
    expect(codes({ '/a': target(31) }, { maxTargetLength: 30 })).toEqual(['target-too-long']);
    expectCompileError({ '/a': target(31) }, 'target-too-long', { maxTargetLength: 30 });
    expect(codes({ '/a': target(10_000) }, { maxTargetLength: 10_000 })).toEqual([]);
  });
});

describe('limits: every violation is reported, not only the first', () => {
  it('one table breaking three per-route limits gets three issues', () => {
    const table = { ['/' + 'p'.repeat(20)]: T, [segs(6)]: T, '/ok': 'https://t.example/' + 'x'.repeat(40) };
    expect(codes(table, { maxPatternLength: 15, maxSegments: 5, maxTargetLength: 30 }).sort()).toEqual(['pattern-too-long', 'pattern-too-many-segments', 'target-too-long'].sort());
  });
});

describe('limits: parameter values (no separate limit; bounded by the path length)', () => {
  it('a parameter value can be as long as the path limit allows, and no longer', () => {
    const table = { '/u/:id': 'https://u.example/:id', '/f/*': 'https://f.example' };
    const longest = 8192 - '/u/'.length;
    const path = '/u/' + 'v'.repeat(longest);
    const n = normalizePath(path);
    expect(n).toMatchObject({ ok: true, path });
    for (const r of compiles(table)) {
      const m = r.match(path)!;
      expect(m.params.id).toHaveLength(longest);
      expect(r.url(m)).toBe('https://u.example/' + 'v'.repeat(longest));
    }
    expect(normalizePath(path + 'v')).toMatchObject({ ok: false, status: 414, code: 'path-too-long' });
    // percent-escapes: the decoded value is shorter than the encoded text the limit counted
    const encoded = '/u/' + '%C3%A9'.repeat(1364);
    expect(encoded.length).toBeLessThanOrEqual(8192);
    for (const r of compiles(table)) expect(r.match(normalizePath(encoded).ok ? encoded : '')!.params.id).toBe('é'.repeat(1364));
  });
});
