/**
 * src/match/codegen-lookup.ts `fitsCodegen`: which tables get generated code. Measured
 * (bench/tier-crossover.mjs, notes-lookup.md "Session 24: when generated code pays"): the
 * benchmark's GitHub and gateway tables, and tenant tables up to 25 tenants, repay the generated
 * lookup within a few million lookups; larger trees (past 300 nodes) do not, and go to native
 * code under `auto`, to the interpreter with `backend: 'js'`. Repetition (the same routes under
 * many tenants) no longer counts against a tree: its extra cost was deopts from out-of-bounds
 * literal reads, which the generator now guards.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type Routes } from '../src/index.js';
import { CODEGEN_ADMISSION, distinctSubtrees, fitsCodegen } from '../src/match/codegen-lookup.js';
import { loadNativeBackend } from '../src/match/native.js';
import { measureTree } from '../src/match/node.js';
import { jsTree } from '../src/match/tree.js';

const nativeLoads = loadNativeBackend().ok;
const json = (name: string): unknown => JSON.parse(readFileSync(new URL(`../bench/data/${name}`, import.meta.url), 'utf8'));
const table = (patterns: readonly string[]): Routes => Object.fromEntries(patterns.map((p) => [p, 'http://svc.internal:8080']));
const GITHUB = (json('github-api-routes.json') as { routes: { pattern: string }[] }).routes.map((r) => r.pattern);
const GITHUB_METHODS = (json('github-api-methods.json') as { routes: Routes }).routes;
// bench/tables.mjs is plain JavaScript without types: its gateway table is read at run time.
const { GATEWAY_PATTERNS, tenantPatterns } = (await import('../bench/tables.mjs' as string)) as {
  GATEWAY_PATTERNS: string[];
  tenantPatterns: (routes: number) => { patterns: string[] };
};
/** The multi-tenant table of bench/tables.mjs with `n` tenants (4 routes each, and `/*`). */
const tenants = (n: number): Routes => table(tenantPatterns(4 * n + 1).patterns);
/** The GitHub table under `k` API prefixes (`/v1/...`), as bench/tier-crossover.mjs's github-x<k>. */
const versions = (k: number): Routes => table(Array.from({ length: k }, (_, i) => GITHUB.map((p) => `/v${i + 1}${p}`)).flat());

function admitted(routes: Routes): boolean {
  const router = compile(routes, { backend: 'js', limits: { maxRoutes: 1_000_000 } });
  const fits = fitsCodegen(jsTree(router.routes.map((r) => r.shape)).root);
  // The router serves what the rule says (the engine is decided on the same tree).
  expect(router.engine).toBe(fits ? 'generated' : 'interpreter');
  return fits;
}

describe('the generator admits the tables where generated code pays', () => {
  it('admits the GitHub, GitHub-with-methods and gateway tables', () => {
    expect(admitted(table(GITHUB))).toBe(true);
    expect(admitted(GITHUB_METHODS)).toBe(true);
    expect(admitted(table(GATEWAY_PATTERNS))).toBe(true);
    expect(admitted({ '/api/users/*': 'http://u', '/u/:id': 'http://u/:id', '/*': 'http://d' })).toBe(true);
  });

  it('admits repetitive tables within the size limit: 5, 10 and 25 tenants (at most 35% distinct subtrees)', () => {
    for (const n of [5, 10, 25]) {
      const routes = tenants(n);
      const root = jsTree(compile(routes, { backend: 'js' }).routes.map((r) => r.shape)).root;
      expect(distinctSubtrees(root), `${n} tenants`).toBeLessThan(0.4 * measureTree(root).size);
      expect(admitted(routes), `${n} tenants`).toBe(true);
    }
  });

  it('refuses the sizes where the interpreter, native code or the JIT bill wins: 100+ tenants, GitHub under 2 or more API prefixes', () => {
    for (const n of [100, 300, 1_000]) expect(admitted(tenants(n)), `${n} tenants`).toBe(false);
    for (const k of [2, 4, 8]) expect(admitted(versions(k)), `GitHub x${k}`).toBe(false);
  });

  it('auto serves a refused table with native code where the addon loads (never the interpreter)', () => {
    expect(compile(tenants(100)).engine).toBe(nativeLoads ? 'native' : 'interpreter');
    expect(compile(tenants(25)).engine).toBe('generated');
    expect(compile(table(GITHUB)).engine).toBe('generated');
  });

  it('law: a tree is admitted exactly when it is within the node and height limits, whatever the order of the routes', () => {
    const segment = fc.oneof(fc.constantFrom('users', 'orders', 'x', 'y'), fc.stringMatching(/^[a-d]{1,3}$/), fc.constant(':p'), fc.constant('*'));
    const pattern = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segs) => {
      const cut = segs.indexOf('*');
      const kept = cut >= 0 ? segs.slice(0, cut + 1) : segs;
      let n = 0;
      return '/' + kept.map((s) => (s === ':p' ? `:p${n++}` : s)).join('/');
    });
    fc.assert(
      fc.property(fc.uniqueArray(pattern, { minLength: 1, maxLength: 120 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (patterns, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(patterns, { minLength: patterns.length }), { numRuns: 1, seed })[0]!;
        let routes: readonly { shape: readonly string[] }[];
        let reordered: readonly { shape: readonly string[] }[];
        try {
          routes = compile(table(patterns), { backend: 'js' }).routes;
          reordered = compile(table(shuffled), { backend: 'js' }).routes;
        } catch {
          return; // conflicting patterns (e.g. two parameter names on one shape): not a table
        }
        const root = jsTree(routes.map((r) => r.shape)).root;
        const verdict = fitsCodegen(root);
        expect(fitsCodegen(jsTree(reordered.map((r) => r.shape)).root)).toBe(verdict);
        const { size, height } = measureTree(root);
        expect(verdict).toBe(size <= CODEGEN_ADMISSION.maxNodes && height <= 128);
      }),
      { numRuns: 300 },
    );
  });
});
