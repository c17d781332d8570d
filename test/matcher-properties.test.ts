import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, validateRoutes, type Router } from '../src/index.js';
import { optionsArb, pathsFor, tableArb } from './arbitraries.js';
import { BACKENDS, summary } from './helpers.js';
import { oracleMatch } from './oracle.js';

/** Keeps the first route of each shape, so the table compiles. */
function withoutConflicts(table: Record<string, string>, options: object): Record<string, string> {
  const bad = new Set(validateRoutes(table, options).errors.map((e) => e.pattern));
  return Object.fromEntries(Object.entries(table).filter(([p]) => !bad.has(p)));
}

function oracleFor(router: Router, path: string) {
  const m = oracleMatch(router.routes, path, router.options);
  if (!m) return null;
  const pattern = router.routes[m.index]!.pattern;
  return m.remainder === undefined ? { pattern, params: m.params } : { pattern, params: m.params, remainder: m.remainder };
}

describe.each(BACKENDS)('the $name matcher', (backend) => {
  it('equals the reference oracle on random tables and near-miss paths', () => {
    fc.assert(
      fc.property(
        optionsArb,
        tableArb().chain((t) => fc.tuple(fc.constant(t), pathsFor(t))),
        (options, [table, paths]) => {
          const clean = withoutConflicts(table, options);
          if (Object.keys(clean).length === 0) return;
          const router = compile(clean, { ...options, ...backend.options });
          for (const path of paths) expect(summary(router, path), `${path} in ${JSON.stringify(Object.keys(clean))} ${JSON.stringify(options)}`).toEqual(oracleFor(router, path));
        },
      ),
      // Issue 8: at least 10,000 generated tables against the real addon in CI.
      { numRuns: backend.name === 'native' ? 10_000 : 3_000 },
    );
  });
});

describe('tables and URLs', () => {
  // validates <=> compiles is checked without sharing the validator's code: test/validity-independent.test.ts.

  it("the forwarded URL's origin is always the target's", () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('//evil.com', '/@evil.com', '/\\evil.com', '/..//evil.com', '/%2F%2Fevil.com', '/?@evil.com', '/#@evil.com', '/:@evil.com'),
      fc.array(fc.constantFrom('/', '@', ':', '.', 'evil.com', '\\', '%2F', '?', '#', ' '), { maxLength: 8 }).map((p) => '/' + p.join('')),
    );
    const router = compile(
      {
        '/*': 'https://default.com',
        '/api/*': 'https://api.svc:8443/v1/',
        '/u/:id/*': 'https://u.svc/users/:id/*',
        '/q/:id': 'http://[::1]:9000/x/:id?k=1',
      },
      { backend: 'js', codegenAfter: 0 },
    );
    const origins = new Set(router.routes.map((r) => new URL(r.target).origin));
    fc.assert(
      fc.property(hostile, fc.constantFrom('', 'a=1', 'x=@evil.com'), (path, query) => {
        // raw (un-normalized) input straight to match(), and normalized input: both are safe.
        const m = router.match(path);
        if (m) {
          const url = new URL(router.url(m, query));
          expect(url.origin).toBe(new URL(m.target).origin);
          expect(origins.has(url.origin)).toBe(true);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
