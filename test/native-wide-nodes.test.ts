/**
 * The native tree's node layout (native/src/tree.rs, invariant 6) against the TypeScript
 * backend: a node keeps the first units of up to 8 static children and its text after the
 * first unit (up to 8 units) in its own 64-byte line; a node with more children uses a range
 * table (first units spanning at most 128 values); blocks are laid out depth-first. These properties build tables whose nodes fall in
 * each of those cases (tenant numbers: nodes of 11 children `/`, `0`-`9`; sibling segments
 * with 1-12 first units from a wide alphabet; texts of 1 to 20 units, shorter and longer than
 * what a node keeps) and check the same route and offsets as the interpreter and the generated
 * walk, on paths made from the routes and on near misses (one unit changed, cut or added).
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { BackendOptions } from '../src/match/core.js';
import { createJsBackend } from '../src/match/tree.js';
import { describeNative, lookupParts } from './helpers.js';

const run = lookupParts;

// First units: digits, both cases, punctuation. Canonical static text is ASCII (core.ts), so
// the sorted search for first units spread wider than a range table is tested in Rust
// (tree.rs, wide_fan_out_with_non_ascii_first_units); paths get non-ASCII units below.
const FIRST = [...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_.~!$'];
const NEAR = [...FIRST, 'é', '日', '\u0100', '\uD800'];
const firstArb = fc.constantFrom(...FIRST);
const restArb = fc.string({ unit: fc.constantFrom(...'abcdefxyz0129-.'), maxLength: 19 });
/** A static segment of 1-20 units (never starting with `:`, never `*`). */
const staticArb = fc.tuple(firstArb, restArb).map(([f, r]) => f + r);
/** A tenant-style segment: `t` and a number, so siblings share prefixes digit by digit. */
const tenantArb = fc.nat({ max: 400 }).map((n) => `t${n}`);
const segArb = fc.oneof(
  { weight: 3, arbitrary: staticArb },
  { weight: 3, arbitrary: tenantArb },
  { weight: 1, arbitrary: fc.constant(':') },
  { weight: 1, arbitrary: fc.constant('') },
);
const shapeArb = fc.tuple(fc.array(segArb, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([segs, catchAll]) => (catchAll ? [...segs, '*'] : segs));
const optionsArb = fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() });

/** A path for `shape`: parameters filled, a catch-all given 0-2 segments. */
const pathFor = (shape: string[], value: string) => {
  const catchAll = shape.at(-1) === '*';
  const fixed = catchAll ? shape.slice(0, -1) : shape;
  const head = fixed.length === 0 ? '' : `/${fixed.map((s) => (s === ':' ? value : s)).join('/')}`;
  const tail = catchAll ? ['', '/r', `/r/${value}`][value.length % 3]! : '';
  return head + tail === '' ? '/' : head + tail;
};

/** Near misses: one unit changed, one cut, one added, and the path upper-cased. */
const variants = (path: string, k: number) => {
  const at = path.length === 0 ? 0 : k % path.length;
  const unit = NEAR[k % NEAR.length]!;
  return [path, path.slice(0, at) + unit + path.slice(at + 1), path.slice(0, at), path + unit, path.toUpperCase(), `${path}/`];
};

describeNative('the native tree with wide nodes agrees with the TypeScript backend', (native) => {
  const create = (shapes: string[][], options: BackendOptions) => native.create(shapes, options);

  it('the same route and the same offsets, on paths of the routes and near misses', () => {
    fc.assert(
      fc.property(
        fc.array(shapeArb, { minLength: 1, maxLength: 60 }),
        optionsArb,
        fc.array(fc.string({ unit: fc.constantFrom(...'az09%-'), minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        (raw, options, values) => {
          // Static text arrives lower-cased when matching is case-insensitive (core.ts).
          const shapes = options.caseSensitive ? raw : raw.map((s) => s.map((x) => (x === ':' || x === '*' ? x : x.toLowerCase())));
          const nb = create(shapes, options);
          const backends = [false, true].map((codegen) => createJsBackend(shapes, { ...options, codegen }));
          raw.forEach((shape, i) => {
            const value = values[i % values.length]!;
            for (const path of variants(pathFor(shape, value), i)) {
              const want = run(backends[0]!, shapes, path);
              expect(run(nb, shapes, path), `${JSON.stringify(shapes)} ${JSON.stringify(options)} ${JSON.stringify(path)}`).toEqual(want);
              expect(run(backends[1]!, shapes, path)).toEqual(want);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a multi-tenant table of 2,000 routes: every route and its misses', () => {
    const shapes: string[][] = [];
    for (let n = 0; n < 500; n++) shapes.push([`t${n}`, 'health'], [`t${n}`, 'users', ':'], [`t${n}`, 'users', ':', 'orders', ':'], [`t${n}`, 'api', '*']);
    shapes.push(['*']);
    const options = { caseSensitive: true, ignoreTrailingSlash: false };
    const nb = create(shapes, options);
    const jb = createJsBackend(shapes, { ...options, codegen: false });
    shapes.forEach((shape, i) => {
      for (const path of variants(pathFor(shape, `v${i}`), i)) {
        expect(run(nb, shapes, path), path).toEqual(run(jb, shapes, path));
      }
    });
    expect(run(nb, shapes, '/t499/users/x/orders/7')).toEqual([1998, ['x', '7']]);
    expect(run(nb, shapes, '/t500/users/x')).toEqual([2000, [], '/t500/users/x']);
    expect(run(nb, shapes, '/t49/api')).toEqual([199, [], '']);
  });
});
