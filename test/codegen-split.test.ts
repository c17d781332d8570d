/**
 * src/match/codegen-lookup.ts: a tree whose code passes the function size budget is split into
 * functions under FUNCTION_CHARS_LIMIT (moved subtrees keep their position variable), a tree
 * under the budget stays in one function, and the split program answers exactly what the
 * interpreter answers, methods included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type Routes } from '../src/index.js';
import { FUNCTION_CHARS_LIMIT, lookupSource } from '../src/match/codegen-lookup.js';
import { jsTree } from '../src/match/tree.js';

const WORDS = ['issues', 'pulls', 'comments', 'labels', 'hooks', 'keys', 'teams', 'events', 'stars', 'forks', 'tags', 'zip'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/**
 * 192 method-guarded routes under `/`, each subtree small, together several times the limit.
 * Each first word takes its own four second words, so the subtrees differ (session 24 refused
 * trees of mostly identical subtrees; the table stays a realistic one of distinct subtrees).
 */
function bigTable(): Routes {
  const routes: Routes = {};
  let n = 0;
  for (const [ai, a] of WORDS.entries()) {
    for (const b of [...WORDS, ...WORDS].slice(ai, ai + 4)) {
      routes[`/${a}/:id/${b}`] = [
        { methods: [METHODS[n % 5]!], target: `http://h${n}` },
        { methods: [METHODS[(n + 2) % 5]!], target: `http://g${n}` },
      ];
      routes[`/${a}/:id/${b}/:sub`] = { methods: [METHODS[(n + 1) % 5]!], target: `http://s${n}` };
      routes[`/${a}/x${b}/${a}${b}`] = `http://static${n}`;
      routes[`/${a}/:id/${b}/:sub/*`] = { methods: [METHODS[(n + 3) % 5]!], target: `http://c${n}` };
      n++;
    }
  }
  return routes;
}

describe('generated code split by size', () => {
  const routes = bigTable();
  const generated = compile(routes, { backend: 'js', codegenAfter: 0 });
  const interpreted = compile(routes, { backend: 'js', codegen: false });

  it('keeps every generated function under the limit, in several functions', () => {
    expect(generated.engine).toBe('generated');
    const source = lookupSource(jsTree(generated.routes.map((r) => r.shape)).root, true, false, null);
    expect(source).not.toBeNull();
    // Several times the budget in all, so the split is forced and must happen more than once.
    expect(source!.length).toBeGreaterThan(3 * FUNCTION_CHARS_LIMIT);
    const functions = source!.split(/\n(?=function n\d+\()/).slice(1); // [0] is the "use strict" prologue
    expect(functions.length).toBeGreaterThan(4);
    for (const f of functions) expect(f.length).toBeLessThan(FUNCTION_CHARS_LIMIT + 2_000);
  });

  it('leaves a tree under the budget in one function', () => {
    const small = compile({ '/users/:id': 'http://u', '/users/:id/posts': 'http://p', '/static/*': 'http://s' }, { backend: 'js', codegenAfter: 0 });
    const source = lookupSource(jsTree(small.routes.map((r) => r.shape)).root, true, false, null);
    expect(source!.length).toBeLessThan(FUNCTION_CHARS_LIMIT);
    expect(source!.match(/^function n\d+\(/gm)).toHaveLength(1);
  });

  it('answers what the interpreter answers', () => {
    const segment = fc.oneof(
      fc.constantFrom(...WORDS),
      fc.constantFrom(...WORDS).map((w) => 'x' + w),
      fc.stringMatching(/^[a-z0-9%]{1,6}$/),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom(...METHODS, 'OPTIONS'), fc.boolean(), (segments, method, withRequest) => {
        const path = '/' + segments.join('/');
        const request = withRequest ? { method } : undefined;
        const want = interpreted.match(path, request);
        const got = generated.match(path, request);
        const view = (m: typeof want) => (m === null ? null : { pattern: m.pattern, target: m.target, params: m.params, remainder: m.remainder });
        expect(view(got), `${method} ${path}`).toEqual(view(want));
        expect(generated.allowedMethods(path, request)).toEqual(interpreted.allowedMethods(path, request));
      }),
      { numRuns: 3_000 },
    );
  });
});
