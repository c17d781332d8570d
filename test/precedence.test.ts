/**
 * One precedence (issue 11): the table order shown to people (`routesInPrecedenceOrder`, used
 * by the CLI and the editor), `explain`'s candidates and `match`'s winner agree, on every
 * backend and option, for random tables and paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, explain, validateRoutes } from '../src/index.js';
import { routesInPrecedenceOrder } from '../src/match/precedence.js';
import { optionsArb, pathsFor, tableArb } from './arbitraries.js';
import { BACKENDS } from './helpers.js';
import { oracleMatch } from './oracle.js';

function withoutConflicts(table: Record<string, string>, options: object): Record<string, string> {
  const bad = new Set(validateRoutes(table, options).errors.map((e) => e.pattern));
  return Object.fromEntries(Object.entries(table).filter(([p]) => !bad.has(p)));
}

describe.each(BACKENDS)('precedence on the $name matcher', (backend) => {
  it("explain's first candidate is match's winner, its candidates are every route matching the path, and the table order agrees", () => {
    fc.assert(
      fc.property(
        optionsArb,
        tableArb().chain((t) => fc.tuple(fc.constant(t), pathsFor(t))),
        (options, [table, paths]) => {
          const clean = withoutConflicts(table, options);
          if (Object.keys(clean).length === 0) return;
          const router = compile(clean, { ...options, ...backend.options });
          const ordered = routesInPrecedenceOrder(router.routes);
          for (const path of paths) {
            const e = explain(router, path);
            if (!e.normalized.ok) continue;
            const p = e.normalized.path;
            const winner = router.match(p);
            expect(e.winner?.pattern ?? null, path).toBe(winner?.pattern ?? null);
            expect(e.candidates[0]?.route.pattern ?? null, path).toBe(winner?.pattern ?? null);
            // every candidate matches on its own (oracle restricted to that one route), and no other route does
            const alone = router.routes.filter((r) => oracleMatch([r], p, router.options) !== null).map((r) => r.pattern);
            expect(e.candidates.map((c) => c.route.pattern).sort(), path).toEqual(alone.sort());
            // the table order, restricted to the routes that match, is explain's order
            const inTableOrder = ordered.filter((r) => alone.includes(r.pattern)).map((r) => r.pattern);
            expect(
              e.candidates.map((c) => c.route.pattern),
              path,
            ).toEqual(inTableOrder);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('explain', () => {
  it('normalizes like the proxy, including allowEncodedSlashes', () => {
    const router = compile({ '/files/:name': 'https://f.svc/:name' });
    expect(explain(router, '/files/a%2Fb').normalized.ok).toBe(false);
    const kept = explain(router, '/files/a%2Fb', undefined, { allowEncodedSlashes: true });
    expect(kept.winner?.pattern).toBe('/files/:name');
  });
});
