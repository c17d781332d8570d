/**
 * The generated match builder's form for routes of several parameters (src/match/materialize.ts,
 * `generateMatchBuilder`; notes-lookup.md, "Session 26: the walk"): ONE search for '%' from the
 * first value on decides whether any value needs decoding, instead of one search per value. The
 * law: whatever the values hold ('%' in one of them, in several, in none, only in the catch-all's
 * remainder, an undecodable sequence), the match equals the one `materialize` builds (the
 * interpreter's router uses it), on every backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import { BACKENDS } from './helpers.js';

/** Routes of 1 to 4 parameters, with and without a catch-all after them. */
const TABLE: Record<string, string> = {
  '/one/:a': 'http://one',
  '/two/:a/x/:b': 'http://two/{a}/{b}',
  '/three/:a/:b/y/:c': 'http://three',
  '/four/:a/:b/:c/:d': 'http://four',
  '/rest/:a/:b/*': 'http://rest',
};

/** A parameter value: plain text, percent-encodings (valid or not), or a bare '%'. */
const value = fc.array(fc.constantFrom('a', 'Z', '9', '-', '%', '%41', '%20', '%C3%A9', '%zz', '%2F', '.'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

const summary = (m: RouteMatch | null) => (m === null ? null : { ...m, route: m.route.pattern, variant: m.variant.index });

describe('the generated builder on routes of several parameters', () => {
  const reference = compile(TABLE, { backend: 'js', codegen: false });
  const routers = BACKENDS.map(({ name, options }) => ({ name, router: compile(TABLE, options.codegen === false ? options : { ...options, codegenAfter: 0 }) }));

  it('builds the same match as materialize whichever values hold a percent sign (law, every backend)', () => {
    const paths = fc.oneof(
      value.map((a) => `/one/${a}`),
      fc.tuple(value, value).map(([a, b]) => `/two/${a}/x/${b}`),
      fc.tuple(value, value, value).map(([a, b, c]) => `/three/${a}/${b}/y/${c}`),
      fc.tuple(value, value, value, value).map(([a, b, c, d]) => `/four/${a}/${b}/${c}/${d}`),
      fc.tuple(value, value, value).map(([a, b, r]) => `/rest/${a}/${b}/${r}/more`),
    );
    fc.assert(
      fc.property(paths, (path) => {
        const want = summary(reference.match(path));
        expect(want).not.toBeNull();
        for (const { router } of routers) expect(summary(router.match(path))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes each value on its own: one undecodable value stays as sent, the others are decoded', () => {
    for (const { router } of routers) {
      expect(router.match('/two/caf%C3%A9/x/100%')!.params).toEqual({ a: 'café', b: '100%' });
      expect(router.match('/four/a/b%zz/c%41/d')!.params).toEqual({ a: 'a', b: 'b%zz', c: 'cA', d: 'd' });
      // A '%' only in the remainder: the values are plain, the remainder is never decoded.
      const m = router.match('/rest/a/b/r%20s')!;
      expect(m.params).toEqual({ a: 'a', b: 'b' });
      expect(m.remainder).toBe('/r%20s');
    }
  });
});
