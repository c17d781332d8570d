/**
 * Hostile input (issue 5): fast-check fuzzing of the normalizer, every matcher (native, generated
 * TypeScript, the TypeScript interpreter),
 * the validator and `compile` with arbitrary strings, full-unicode strings, lone surrogates,
 * bytes decoded as latin1, percent soup, huge inputs and arbitrary JSON route tables.
 *
 * Invariants:
 *  - `normalizePath` never throws; it returns a canonical path (idempotent, ASCII, no `//`,
 *    no dot segment, within the limits) or a 400/414 error with a known code;
 *  - `router.match` never throws, whatever string it gets, and returns null or a match whose
 *    pattern is in the table (with that pattern's target); both backends agree;
 *  - for a normalized path, the forwarded URL never throws and keeps the target's origin;
 *  - `validateRoutes` never throws, and `compile` either returns a router or throws
 *    `RoutesValidationError` carrying exactly the validator's errors.
 *
 * The native part runs when the addon loads; with CI=true a missing addon fails the suite.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, normalizePath, RoutesValidationError, validateRoutes, type CompileOptions, type IssueCode, type PathErrorCode, type Router } from '../src/index.js';
import { loadNativeBackend } from '../src/match/native.js';
import { optionsArb, pathsFor, tableArb } from './arbitraries.js';

// ---------------------------------------------------------------------------------------
// Backends: js always; native when the addon loads (CI requires it).

const native = loadNativeBackend();
const BACKENDS: ('js' | 'native')[] = native.ok ? ['js', 'native'] : ['js'];
const inCI = process.env.CI === 'true';

/** The matchers under test: generated TypeScript, the TypeScript interpreter (for runtimes that forbid code generation), native. */
const VARIANTS: CompileOptions[] = [
  { backend: 'js', codegenAfter: 0 },
  { backend: 'js' },
  { backend: 'js', codegen: false },
  ...(native.ok ? [{ backend: 'native' as const }] : []),
];

/** Every matcher's router for one table (throws what compile throws). */
function routers(table: unknown, options: object = {}): Router[] {
  return VARIANTS.map((variant) => compile(table, { ...options, ...variant }));
}

// ---------------------------------------------------------------------------------------
// Known codes: the Record types make tsc fail when a code is added without updating this.

const PATH_CODES: Record<PathErrorCode, 400 | 414> = {
  'path-too-long': 414,
  'too-many-segments': 414,
  'no-leading-slash': 400,
  'invalid-character': 400,
  'invalid-query': 400,
  'malformed-escape': 400,
  'invalid-utf8': 400,
  'encoded-nul': 400,
  'encoded-slash': 400,
};

const ISSUE_CODES: Record<IssueCode, 'error' | 'warning'> = {
  'routes-not-object': 'error',
  'routes-empty': 'error',
  'pattern-no-leading-slash': 'error',
  'target-not-string': 'error',
  'target-invalid-url': 'error',
  'target-bad-protocol': 'error',
  'param-name-invalid': 'error',
  'param-name-duplicate': 'error',
  'wildcard-misplaced': 'error',
  'pattern-invalid-character': 'error',
  'pattern-invalid-escape': 'error',
  'pattern-dot-segment': 'error',
  conflict: 'error',
  'target-fragment': 'error',
  'target-unknown-placeholder': 'error',
  'too-many-routes': 'error',
  'pattern-too-long': 'error',
  'pattern-too-many-segments': 'error',
  'target-too-long': 'error',
  'regex-invalid': 'error',
  'regex-too-long': 'error',
  'variants-empty': 'error',
  'too-many-variants': 'error',
  'variant-invalid': 'error',
  'variant-unreachable': 'error',
  'route-unknown-field': 'error',
  'route-target-missing': 'error',
  'route-target-ambiguous': 'error',
  'targets-invalid': 'error',
  'weight-invalid': 'error',
  'name-invalid': 'error',
  'name-duplicate': 'error',
  'methods-invalid': 'error',
  'host-invalid': 'error',
  'headers-invalid': 'error',
  'query-invalid': 'error',
  'duration-invalid': 'error',
  'size-invalid': 'error',
  'load-balancer-invalid': 'error',
  'health-check-invalid': 'error',
  'retry-invalid': 'error',
  'auth-invalid': 'error',
  'api-key-not-hashed': 'error',
  'jwt-algorithm-refused': 'error',
  'rate-limit-invalid': 'error',
  'cache-invalid': 'error',
  'header-rules-invalid': 'error',
  'header-forbidden': 'error',
  'params-unused': 'warning',
  'remainder-dropped': 'warning',
  'target-credentials': 'warning',
};

// ---------------------------------------------------------------------------------------
// Hostile strings.

/** Any UTF-16 code unit, so lone and reversed surrogates appear. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const surrogateUnit = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const loneSurrogates = fc.string({ unit: fc.oneof(codeUnit, surrogateUnit, fc.constantFrom('/', 'a', '%')), maxLength: 40 });
/** Raw bytes read as latin1 (what a server that decodes the request line as latin1 would see). */
const latin1 = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1'));
/** Bytes read as UTF-8 (invalid sequences become U+FFFD). */
const utf8Bytes = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('utf8'));

const SOUP = [
  '%',
  '%2',
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  '%00',
  '%C3',
  '%A9',
  '%C3%A9',
  '%c3%a9',
  '%E0%A4',
  '%E2%82%AC',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  '%fe',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2E.',
  '.',
  '..',
  '...',
  '/',
  '//',
  '?',
  '#',
  'a',
  'Z',
  '~',
  '%7E',
  '%7e',
  '%41',
  '%zz',
  '%%',
  '%%41',
  '\\',
  ' ',
  '\t',
  '\u0000',
  '\u007f',
  'é',
  '\ud800',
  '\udc00',
  '😀',
  '@',
  ':',
  ':id',
  '*',
  ';',
  '=',
  '&',
  '+',
  "'",
  '"',
  '<',
  '>',
  '`',
  '{',
  '}',
  '|',
  '^',
  '[',
  ']',
  '\r\n',
  'evil.com',
];
const percentSoup = fc.array(fc.constantFrom(...SOUP), { maxLength: 30 }).map((p) => p.join(''));

const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogates,
  latin1,
  utf8Bytes,
  percentSoup,
);

/** Path-like strings: mostly starting with `/`, so the interesting code runs. */
const hostilePath = fc.oneof(
  { weight: 1, arbitrary: anyText },
  { weight: 3, arbitrary: anyText.map((s) => '/' + s) },
  { weight: 3, arbitrary: fc.array(anyText, { maxLength: 8 }).map((segs) => '/' + segs.join('/')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/a', '/%2e%2e', '/..', '/%C3%A9', '//', '/a%20b', '/x?'), fc.integer({ min: 1, max: 3000 })).map(([s, n]) => s.repeat(n)) },
);

/** Large inputs, built once (a few MB in all). */
const MB = 1 << 20;
const HUGE: string[] = [
  '/' + 'a'.repeat(MB),
  '/'.repeat(MB),
  '/' + '%'.repeat(MB),
  '/' + '%2e%2e/'.repeat(MB / 7),
  '/..'.repeat(MB / 3),
  '/a'.repeat(MB / 2),
  '/' + '%C3%A9'.repeat(MB / 6),
  '/' + '%41'.repeat(MB / 3),
  '/a?' + 'q'.repeat(MB),
  '/a?' + ' '.repeat(MB),
  '/' + 'é'.repeat(MB),
  '/' + '\ud800'.repeat(MB),
  '/x/'.repeat(MB / 3) + '%zz',
  '/a/'.repeat(MB / 3) + '%2F',
  '#'.repeat(MB),
  '?'.repeat(MB),
];

// ---------------------------------------------------------------------------------------
// Invariant checks.

const CANONICAL_CHAR = /^[\x21-\x7e]*$/;

function checkNormalized(raw: unknown, options: { maxPathLength?: number; maxSegments?: number; allowEncodedSlashes?: boolean } = {}) {
  const r = normalizePath(raw as string, options);
  if (!r.ok) {
    expect(PATH_CODES[r.code], `unknown code ${r.code}`).toBe(r.status);
    expect(r.message.length).toBeGreaterThan(0);
    return r;
  }
  const maxLen = options.maxPathLength ?? 8192;
  const maxSeg = options.maxSegments ?? 256;
  const path = r.path;
  expect(path.charCodeAt(0)).toBe(0x2f);
  expect(path.length).toBeLessThanOrEqual(maxLen);
  expect(CANONICAL_CHAR.test(path), JSON.stringify(path)).toBe(true);
  expect(path.includes('\\')).toBe(false);
  expect(path.includes('//')).toBe(false);
  const segments = path.slice(1).split('/');
  expect(segments.length).toBeLessThanOrEqual(maxSeg);
  // no dot segment; every escape is complete, upper-case hex, and not an unreserved character
  const badSegment = segments.find((seg) => seg === '.' || seg === '..' || /%(?![0-9A-F]{2})/.test(seg) || /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/.test(seg));
  expect(badSegment, `non-canonical segment in ${JSON.stringify(path.slice(0, 80))}`).toBeUndefined();
  if (!options.allowEncodedSlashes) expect(/%2F|%5C|%00/.test(path)).toBe(false);
  // idempotent: the canonical path is its own normal form
  expect(normalizePath(path, options)).toEqual({ ok: true, path, query: '' });
  // the query is the raw text between `?` and `#`
  const s = raw as string;
  const hash = s.indexOf('#');
  const before = hash < 0 ? s : s.slice(0, hash);
  const q = before.indexOf('?');
  expect(r.query).toBe(q < 0 ? '' : before.slice(q + 1));
  return r;
}

/** Match on every backend: never throws, a pattern of the table or null, backends agree. */
function checkMatch(rs: Router[], table: Record<string, string>, path: string, query?: string) {
  const results = rs.map((router) => {
    const m = router.match(path);
    if (m === null) return null;
    expect(Object.prototype.hasOwnProperty.call(table, m.pattern), `${m.pattern} not in table`).toBe(true);
    expect(m.target).toBe(table[m.pattern]);
    expect(router.routes.includes(m.route)).toBe(true);
    for (const [name, value] of Object.entries(m.params)) {
      expect(m.route.paramNames).toContain(name);
      expect(typeof value).toBe('string');
    }
    expect(Object.keys(m.params).length).toBe(m.route.paramNames.length);
    if (m.route.catchAll) {
      expect(typeof m.remainder).toBe('string');
      expect(path.endsWith(m.remainder!)).toBe(true);
      if (m.remainder !== '') expect(m.remainder!.charCodeAt(0)).toBe(0x2f);
    } else {
      expect(m.remainder).toBeUndefined();
    }
    if (query !== undefined) {
      // A normalized path: the forwarded URL builds and keeps the target's origin.
      const url = new URL(router.url(m, query));
      expect(url.origin).toBe(new URL(m.target).origin);
    }
    return { pattern: m.pattern, params: { ...m.params }, remainder: m.remainder };
  });
  for (const other of results.slice(1)) expect(other, `backends disagree on ${JSON.stringify(path)}`).toEqual(results[0]);
}

// ---------------------------------------------------------------------------------------
// Tables used against hostile paths.

const FIXED_TABLES: Record<string, string>[] = [
  {
    '/api/users/*': 'https://users-service.com',
    '/api/products/*': 'https://products-service.com',
    '/*': 'https://default.com',
  },
  {
    '/': 'https://root.svc',
    '/:a': 'https://a.svc/:a',
    '/:a/:b': 'https://a.svc/:a/:b',
    '/:a/:b/:c': 'https://a.svc/:a/:b/:c',
    '/:a/:b/:c/x': 'https://x.svc',
    '/a/*': 'https://a-star.svc',
    '/a/:b/*': 'https://a-b-star.svc/:b/*',
    '/a/:b/c/*': 'https://abc.svc',
    '/*/*/*/*/y': 'https://y.svc',
    '/caf%C3%A9/:x': 'https://cafe.svc/:x',
    '/v1/abc:run': 'https://run.svc',
    '/docs/': 'https://docs.svc',
    '/docs': 'https://docs2.svc',
    '/%2A/:id': 'https://star.svc/:id',
    '/u/:id/*': 'https://u.svc/v2/:id/*',
    '/q/:id': 'http://[::1]:9000/x/:id?k=1',
  },
];

describe('hostile input: the native backend', () => {
  it('loads in CI (CI=true); elsewhere its absence is explained', () => {
    if (inCI) expect(native.ok, native.ok ? '' : native.reason).toBe(true);
    else expect(native.ok || (typeof native.reason === 'string' && native.reason.length > 0)).toBe(true);
    expect(BACKENDS).toContain('js');
  });
});

describe('hostile input: normalizePath', () => {
  it('never throws; returns a canonical path or a 400/414 with a known code', () => {
    fc.assert(
      fc.property(hostilePath, (raw) => {
        checkNormalized(raw);
      }),
      { numRuns: 6_000 },
    );
  });

  it('keeps its invariants under other limits and with encoded slashes allowed', () => {
    const opts = fc.record({
      maxPathLength: fc.integer({ min: 0, max: 300 }),
      maxSegments: fc.integer({ min: 0, max: 20 }),
      allowEncodedSlashes: fc.boolean(),
    });
    fc.assert(
      fc.property(hostilePath, opts, (raw, options) => {
        checkNormalized(raw, options);
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws on values that are not strings', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const r = normalizePath(value as string);
        if (typeof value !== 'string') expect(r).toMatchObject({ ok: false, status: 400 });
      }),
      { numRuns: 500 },
    );
  });

  it('answers huge inputs (1 MB) with a result, not a throw or a hang', () => {
    for (const raw of HUGE) {
      const r = checkNormalized(raw);
      // every one of these is too long or rejected for its characters (the query does not count)
      expect(r.ok, raw.slice(0, 20)).toBe(raw.startsWith('/a?q'));
      const big = checkNormalized(raw, { maxPathLength: 4 * MB, maxSegments: MB });
      expect(typeof big.ok).toBe('boolean');
    }
    // the query does not count toward the path length, but is checked
    expect(normalizePath('/a?' + 'q'.repeat(MB))).toMatchObject({ ok: true, path: '/a' });
  });
});

describe('hostile input: match on both backends', () => {
  it('never throws on any string; a hit is a pattern of the table; backends agree', () => {
    const rs = FIXED_TABLES.map((t) => ({ t, rs: routers(t) }));
    const folded = { caseSensitive: false, ignoreTrailingSlash: true };
    const rsFolded = FIXED_TABLES.map((t) => {
      // drop the routes that conflict under these options (`/docs` and `/docs/`)
      const bad = new Set(validateRoutes(t, folded).errors.map((e) => e.pattern));
      const clean = Object.fromEntries(Object.entries(t).filter(([p]) => !bad.has(p)));
      return { t: clean, rs: routers(clean, folded) };
    });
    fc.assert(
      fc.property(hostilePath, (path) => {
        for (const { t, rs: r } of [...rs, ...rsFolded]) checkMatch(r, t, path);
      }),
      { numRuns: 2_500 },
    );
  });

  it('on normalized hostile paths the forwarded URL builds and keeps the target origin', () => {
    const rs = FIXED_TABLES.map((t) => ({ t, rs: routers(t) }));
    fc.assert(
      fc.property(hostilePath, (raw) => {
        const n = normalizePath(raw, { allowEncodedSlashes: raw.length % 2 === 0 });
        if (!n.ok) return;
        for (const { t, rs: r } of rs) checkMatch(r, t, n.path, n.query);
      }),
      { numRuns: 4_000 },
    );
  });

  it('on random overlapping tables, with raw and normalized hostile paths', () => {
    fc.assert(
      fc.property(optionsArb, tableArb(10), fc.array(hostilePath, { maxLength: 6 }), (options, table, extra) => {
        const v = validateRoutes(table, options);
        if (!v.valid) {
          for (const variant of VARIANTS) expect(() => compile(table, { ...options, ...variant })).toThrow(RoutesValidationError);
          return;
        }
        const rs = routers(table, options);
        for (const path of extra) {
          checkMatch(rs, table, path);
          const n = normalizePath(path);
          if (n.ok) checkMatch(rs, table, n.path, n.query);
        }
      }),
      { numRuns: 600 },
    );
    // and near-miss paths of the table's own patterns, mutated with hostile text
    fc.assert(
      fc.property(
        tableArb(8).chain((t) => fc.tuple(fc.constant(t), pathsFor(t), fc.array(anyText, { maxLength: 4 }))),
        ([table, paths, junk]) => {
          if (!validateRoutes(table).valid) return;
          const rs = routers(table);
          for (const p of paths) for (const j of ['', ...junk]) checkMatch(rs, table, p + j);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on tables whose patterns are themselves hostile text', () => {
    const hostilePattern = fc.oneof(
      anyText.map((s) => '/' + s),
      fc.array(fc.oneof(anyText, fc.constantFrom(':a', ':b', '*', '')), { maxLength: 5 }).map((segs) => '/' + segs.join('/')),
    );
    fc.assert(
      fc.property(fc.uniqueArray(hostilePattern, { minLength: 1, maxLength: 8 }), fc.array(hostilePath, { maxLength: 6 }), (patterns, paths) => {
        const table = Object.fromEntries(patterns.map((p, i) => [p, `https://s${i}.example`]));
        const v = validateRoutes(table);
        if (!v.valid) {
          for (const variant of VARIANTS) expect(() => compile(table, variant)).toThrow(RoutesValidationError);
          return;
        }
        const rs = routers(table);
        // each pattern's own text, used as a path, and hostile paths
        for (const path of [...patterns, ...paths]) checkMatch(rs, table, path);
      }),
      { numRuns: 800 },
    );
  });

  it('match() of a value that is not a string is null, not a throw', () => {
    for (const router of routers(FIXED_TABLES[1]!)) {
      for (const value of [undefined, null, 42, {}, [], Symbol('x'), () => '/a', new String('/a')]) {
        expect(router.match(value as unknown as string)).toBeNull();
      }
    }
  });

  it('huge paths (1 MB, 500,000 segments) get an answer on every backend', () => {
    const tables = FIXED_TABLES.map((t) => ({ t, rs: routers(t) }));
    for (const path of HUGE) for (const { t, rs } of tables) checkMatch(rs, t, path);
  });
});

describe('hostile input: validateRoutes and compile', () => {
  const issueOk = (issue: { code: string; severity: string; message: string }, severity: 'error' | 'warning') => {
    expect(ISSUE_CODES[issue.code as IssueCode], `unknown code ${issue.code}`).toBe(severity);
    expect(issue.severity).toBe(severity);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
  };

  function checkTable(value: unknown, options: object) {
    const v = validateRoutes(value, options);
    expect(typeof v.valid).toBe('boolean');
    expect(v.valid).toBe(v.errors.length === 0);
    for (const e of v.errors) issueOk(e, 'error');
    for (const w of v.warnings) issueOk(w, 'warning');
    for (const variant of VARIANTS) {
      let router: Router | undefined;
      let thrown: unknown;
      try {
        router = compile(value, { ...options, ...variant });
      } catch (e) {
        thrown = e;
      }
      if (v.valid) {
        expect(thrown, `compile threw on a valid table: ${String(thrown)}`).toBeUndefined();
        const n = value === null || value === undefined ? 0 : Object.keys(value as object).length;
        expect(router!.routes.length).toBe(n);
        expect(router!.backend).toBe(variant.backend);
      } else {
        expect(thrown).toBeInstanceOf(RoutesValidationError);
        const err = thrown as RoutesValidationError;
        expect(err.code).toBe('ERR_INVALID_ROUTES');
        expect(err.issues.map((i) => i.code)).toEqual(v.errors.map((i) => i.code));
        expect(err.message.length).toBeGreaterThan(0);
      }
    }
    return v;
  }

  it('arbitrary JSON values as tables: never throws, compile agrees with validation', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), optionsArb, (value, options) => {
        checkTable(value, options);
      }),
      { numRuns: 2_000 },
    );
  });

  it('objects with hostile keys and arbitrary JSON values', () => {
    const key = fc.oneof(
      anyText,
      anyText.map((s) => '/' + s),
      fc.constantFrom('__proto__', 'constructor', 'toString', '/__proto__', '/:__proto__', '/:constructor', '/:a/:a', '/*/*', '/a*'),
    );
    const value = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'https://a.example',
          'http://b.example/x/',
          'https://c.example/:id/*',
          'ftp://x',
          'javascript:alert(1)',
          'https://a.example/#f',
          'https://u:p@a.example',
          'http://[::1]:80',
          '//no-scheme',
          '',
        ),
      },
      { weight: 2, arbitrary: anyText },
      { weight: 2, arbitrary: anyText.map((s) => 'https://h.example/' + s) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), optionsArb, (table, options) => {
        checkTable(table, options);
      }),
      { numRuns: 1_500 },
    );
  });

  it('non-JSON values: never throws, compile agrees with validation', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
        }),
        (value) => {
          checkTable(value, {});
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('JSON text with a "__proto__" key (as JSON.parse produces it) is a plain table', () => {
    const table = JSON.parse('{"__proto__": "https://evil.example", "/a": "https://a.example"}');
    const v = checkTable(table, {});
    expect(v.errors.map((e) => e.code)).toEqual(['pattern-no-leading-slash']);
    const ok = JSON.parse('{"/__proto__": "https://p.example", "/a/:id": "https://a.example/:id"}');
    expect(checkTable(ok, {}).valid).toBe(true);
    for (const router of routers(ok)) {
      expect(router.match('/__proto__')?.target).toBe('https://p.example');
      expect(router.match('/a/__proto__')?.params).toEqual({ id: '__proto__' });
      expect(Object.getPrototypeOf(router.match('/a/__proto__')!.params)).toBe(Object.prototype);
    }
  });

  it('huge hostile tables: an answer, not a throw', () => {
    const many = Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => ['/r' + i + '/:p', 'https://x.example/:p']));
    expect(checkTable(many, {}).errors[0]!.code).toBe('too-many-routes');
    const long = { ['/' + 'a'.repeat(MB)]: 'https://x.example', '/b': 'https://x.example/' + 'b'.repeat(MB) };
    expect(checkTable(long, {}).errors.map((e) => e.code)).toEqual(['pattern-too-long', 'target-too-long']);
    const junk = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => ['/' + '%'.repeat(i % 50) + i, 'nope' + i]));
    expect(checkTable(junk, {}).valid).toBe(false);
  });
});

describe('hostile input: objects that throw when read', () => {
  const hostile = () => {
    const throwing = Object.defineProperty({}, '/a', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trap = new Proxy(
      { '/a': 'https://a.example' },
      {
        ownKeys: () => {
          throw new TypeError('trap');
        },
      },
    );
    return [throwing, revoked.proxy, trap];
  };

  it('validateRoutes answers routes-not-object', () => {
    for (const value of hostile()) expect(validateRoutes(value).errors.map((e) => e.code)).toEqual(['routes-not-object']);
  });

  it('compile throws RoutesValidationError for them too (the same answer as validation)', () => {
    for (const value of hostile()) {
      for (const variant of VARIANTS) {
        let thrown: unknown;
        try {
          compile(value, variant);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `compile threw ${String(thrown)}`).toBeInstanceOf(RoutesValidationError);
        expect((thrown as RoutesValidationError).issues.map((i) => i.code)).toEqual(['routes-not-object']);
      }
    }
  });
});
