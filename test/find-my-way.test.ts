/**
 * Differential test against find-my-way on the subset where the two semantics coincide:
 * static segments, `:param` segments and catch-alls matching a non-empty remainder.
 * (find-my-way's `/api/*` does not match `/api`, and its `*` value omits the leading `/`.)
 */
import fc from 'fast-check';
import FindMyWay from 'find-my-way';
import { describe, expect, it } from 'vitest';
import { compile, validateRoutes } from '../src/index.js';

const segArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('a', 'b', 'ab', 'api', 'v1', 'users') }, { weight: 2, arbitrary: fc.constant(':') });
const patternArb = fc.tuple(fc.array(segArb, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([segs, catchAll]) => {
  let n = 0;
  return '/' + segs.map((s) => (s === ':' ? `:p${n++}` : s)).join('/') + (catchAll ? '/*' : '');
});
const valueArb = fc.constantFrom('a', 'b', 'ab', 'api', 'v1', 'users', 'x1', 'zz');
const pathArb = fc.array(valueArb, { minLength: 1, maxLength: 6 }).map((vs) => '/' + vs.join('/'));

describe('agreement with find-my-way', () => {
  it('same route, same params, same remainder on the common subset', () => {
    fc.assert(
      fc.property(fc.uniqueArray(patternArb, { minLength: 1, maxLength: 10 }), fc.array(pathArb, { minLength: 1, maxLength: 20 }), (patterns, paths) => {
        const errors = new Set(validateRoutes(Object.fromEntries(patterns.map((p) => [p, 'https://a.com']))).errors.map((e) => e.pattern));
        const kept = patterns.filter((p) => !errors.has(p));
        if (kept.length === 0) return;
        const ours = compile(Object.fromEntries(kept.map((p) => [p, 'https://a.com'])), { backend: 'js' });
        const fmw = FindMyWay();
        for (const p of kept) fmw.on('GET', p, () => {}, { pattern: p });
        for (const path of paths) {
          const m = ours.match(path);
          if (m && m.remainder !== undefined && m.remainder.length <= 1) continue; // semantics differ here
          const f = fmw.find('GET', path);
          if (!m) {
            // find-my-way can only add matches we do not make through its empty-remainder catch-all.
            if (f) expect((f.params as Record<string, string>)['*'], path).toBe('');
            continue;
          }
          expect(f, path).not.toBeNull();
          expect((f!.store as { pattern: string }).pattern, path).toBe(m.pattern);
          const { '*': rest, ...params } = f!.params as Record<string, string>;
          expect(params).toEqual(m.params);
          if (m.remainder !== undefined) expect('/' + rest).toBe(m.remainder);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
