/**
 * The match result's cheap paths (notes-lookup.md, "Session 25: the match result"): the
 * generated builder reads pattern, target, first variant and shape from one flat per-table
 * array at the lookup's index, falls back to `materialize` past its shape limit, and is also
 * called without the index (the tier's first generated call). Every match gets a `params` object
 * of its own, also where the route has no parameters: a consumer may add to it (a shared
 * object, even frozen, would leak or throw; measured, sharing saved ~9% on the multi-tenant
 * table's static hits, not worth an API change). Whatever path builds it, a match must be the same
 * plain object: these own enumerable fields, the same values as `materialize`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import { materialize, matchBuilder } from '../src/match/materialize.js';
import { BACKENDS } from './helpers.js';

/** 300 routes of distinct parameter shapes (past the builder's 256), plus statics and catch-alls. */
function wideTable(): Record<string, string> {
  const table: Record<string, string> = { '/': 'http://root', '/static/a': 'http://a', '/files/*': 'http://files' };
  for (let i = 0; i < 300; i++) table[`/s${i}/:p${i}/x/*`] = `http://up${i % 7}/{p${i}}`;
  for (let i = 0; i < 40; i++) table[`/t${i}/plain`] = `http://plain${i}`;
  return table;
}

const fields = (m: RouteMatch) => Object.keys(m).sort();

describe('the generated match builder', () => {
  const router = compile(wideTable(), { backend: 'js', codegenAfter: 0 });
  const build = matchBuilder(router.routes, true);
  const offsetsFor = (route: (typeof router.routes)[number], path: string): Int32Array => {
    // The offsets a lookup writes: one pair per parameter, then the catch-all's start.
    const o = new Int32Array(16);
    const segments = path.split('/');
    let at = 0;
    let k = 0;
    route.shape.forEach((s, i) => {
      const start = at + 1;
      const end = start + segments[i + 1]!.length;
      if (s === '*') o[k++] = start - 1;
      else if (s.startsWith(':')) {
        o[k++] = start;
        o[k++] = end;
      }
      at = end;
    });
    return o;
  };

  it('equals materialize for every route, with the index and without it, within and past the shape limit', () => {
    for (const route of router.routes) {
      const path = '/' + route.shape.map((s, i) => (s === '*' ? 'rest/of%20it' : s.startsWith(':') ? `v${i}%41` : s)).join('/');
      const o = offsetsFor(route, path);
      const want = materialize(route, path, o);
      expect(build(route, path, o, route.index)).toEqual(want);
      expect(build(route, path, o)).toEqual(want);
      expect(fields(build(route, path, o, route.index))).toEqual(fields(want));
    }
  });

  it('answers through the router as materialize does (law, every backend)', () => {
    // The interpreter's router builds with `materialize`; every other one with the generated builder from its first match.
    const routers = BACKENDS.map(({ options }) => compile(wideTable(), options.codegen === false ? options : { ...options, codegenAfter: 0 }));
    const paths = fc.oneof(
      // A value with a percent-encoding, a plain one, one plain with '%' in the remainder only, one not decodable.
      fc.integer({ min: 0, max: 299 }).map((i) => `/s${i}/val${i}%20x/x/rest${i}`),
      fc.integer({ min: 0, max: 299 }).map((i) => `/s${i}/val${i}/x/rest${i}`),
      fc.integer({ min: 0, max: 299 }).map((i) => `/s${i}/val${i}/x/r%2Fest${i}`),
      fc.integer({ min: 0, max: 299 }).map((i) => `/s${i}/bad%zz${i}/x/`),
      fc.integer({ min: 0, max: 39 }).map((i) => `/t${i}/plain`),
      fc.constantFrom('/', '/static/a', '/files/', '/files/a/b', '/nowhere'),
    );
    fc.assert(
      fc.property(paths, (path) => {
        const answers = routers.map((r) => r.match(path));
        for (const m of answers) {
          expect(m).toEqual(answers[0]);
          if (m !== null) expect(fields(m)).toEqual(fields(answers[0]!));
        }
      }),
    );
  });
});

describe.each(BACKENDS)('match results on the $name backend', ({ options }) => {
  const router = compile(wideTable(), options);

  it('gives every match of a route without parameters a params object of its own, and the match its own fields', () => {
    for (const path of ['/', '/static/a', '/t3/plain', '/files/x']) {
      const m = router.match(path)!;
      const again = router.match(path)!;
      expect(m.params).not.toBe(again.params);
      expect(Object.isFrozen(m.params)).toBe(false);
      // A consumer adding to one match's params changes no other match.
      (m.params as Record<string, string>).added = 'x';
      expect(router.match(path)!.params).toEqual({});
      expect(again).toEqual({
        pattern: again.route.pattern,
        target: again.route.target,
        params: {},
        route: again.route,
        variant: again.route.variants[0],
        ...(again.route.catchAll ? { remainder: again.remainder } : {}),
      });
    }
  });

  it('gives a route with parameters a params object of its own per match', () => {
    const a = router.match('/s5/one/x/r')!;
    const b = router.match('/s5/two/x/r')!;
    expect(a.params).toEqual({ p5: 'one' });
    expect(b.params).toEqual({ p5: 'two' });
    expect(a.params).not.toBe(b.params);
    expect(router.match('/s5/caf%C3%A9/x/r%20')!.params).toEqual({ p5: 'café' });
    expect(router.match('/s5/100%/x/r')!.params).toEqual({ p5: '100%' });
    expect(Object.isFrozen(a.params)).toBe(false);
  });
});
