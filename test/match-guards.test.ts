/**
 * The backend contract for conditions and constrained parameters (src/match/core.ts), below
 * validation: random shapes with constrained parameters, random method masks, random checked
 * routes and random verdicts of `accept`. Every backend must return what the oracle returns
 * for the same table with the refused routes removed (SPEC 10.1: "exactly as if that pattern
 * were absent"), and `enumerate` must visit exactly the routes that match the path, in
 * precedence order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_METHODS, LAZY_METHOD, OTHER_METHOD_BIT, type BackendGuards, type MatcherBackend } from '../src/match/core.js';
import { loadNativeBackend } from '../src/match/native.js';
import { createJsBackend } from '../src/match/tree.js';
import { compileLinearRegex } from '../src/regex/linear.js';
import type { LinearRegex } from '../src/table/route.js';
import { oracleMatch, type OracleRoute } from './oracle.js';

const STATIC = ['a', 'b', 'ab', 'api', 'v1', '12', 'x.json'];
const REGEXES = ['[0-9]+', '[a-z]+', 'a.*', '(?i)AB', '[0-9a-f]{2}', 'v[0-9]', '.+', 'x|12'];
const VALUES = ['a', 'b', 'ab', 'AB', '12', '7', 'v1', 'ff', 'x.json', 'x', 'é', '%C3%A9', 'api'];
const GET = 1;
const POST = 2;

function compileRegex(source: string): LinearRegex {
  const r = compileLinearRegex(source);
  if ('error' in r) throw new Error(r.error);
  return r;
}

const segArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...STATIC) },
  { weight: 2, arbitrary: fc.constant(':') },
  { weight: 3, arbitrary: fc.constantFrom(...REGEXES).map((r) => ':' + r) },
);
const shapeArb = fc.tuple(fc.array(segArb, { maxLength: 4 }), fc.boolean()).map(([segs, catchAll]) => (catchAll ? [...segs, '*'] : segs.length === 0 ? [''] : segs));
const tableArb = fc.uniqueArray(shapeArb, { minLength: 1, maxLength: 10, selector: (s) => s.join('/') });
const pathArb = fc.array(fc.constantFrom(...VALUES, ...STATIC), { maxLength: 5 }).map((segs) => '/' + segs.join('/'));
const maskArb = fc.constantFrom(ALL_METHODS, GET, POST, GET | POST, OTHER_METHOD_BIT);
const bitArb = fc.constantFrom(GET, POST, OTHER_METHOD_BIT);

function oracleRoutes(shapes: string[][]): OracleRoute[] {
  return shapes.map((shape) => ({ shape, paramNames: shape.filter((s) => s.startsWith(':')).map((_, i) => 'p' + i) }));
}

/** What a backend's hit says, as data: route, params (offset slices) and remainder. */
function hit(backend: MatcherBackend, shapes: string[][], path: string, index: number) {
  if (index < 0) return null;
  const n = shapes[index]!.filter((s) => s.startsWith(':')).length;
  const o = backend.offsets;
  const params: Record<string, string> = {};
  for (let i = 0; i < n; i++) params['p' + i] = path.slice(o[2 * i], o[2 * i + 1]);
  return shapes[index]!.includes('*') ? { index, params, remainder: path.slice(o[2 * n]) } : { index, params };
}

const OPTIONS = { caseSensitive: true, ignoreTrailingSlash: false };
const RAW = { ...OPTIONS, raw: true };
const native = loadNativeBackend();

type Factory = (shapes: string[][], guards: BackendGuards | null) => MatcherBackend;
const FACTORIES: [string, Factory][] = [
  ['generated', (s, g) => createJsBackend(s, { ...OPTIONS, compileRegex }, g)],
  ['interpreter', (s, g) => createJsBackend(s, { ...OPTIONS, compileRegex, codegen: false }, g)],
];
if (native.ok) FACTORIES.push(['native', (s, g) => native.create(s, OPTIONS, g ?? undefined)]);

describe.each(FACTORIES)('the %s backend', (_name, create) => {
  it('with guards, equals the oracle on the table without the refused routes', () => {
    fc.assert(
      fc.property(
        tableArb.chain((shapes) =>
          fc.tuple(
            fc.constant(shapes),
            fc.array(maskArb, { minLength: shapes.length, maxLength: shapes.length }),
            fc.array(fc.boolean(), { minLength: shapes.length, maxLength: shapes.length }),
            fc.array(fc.boolean(), { minLength: shapes.length, maxLength: shapes.length }),
            fc.array(fc.tuple(pathArb, bitArb), { minLength: 1, maxLength: 8 }),
          ),
        ),
        ([shapes, masks, checked, verdicts, requests]) => {
          const asked: number[] = [];
          const guards: BackendGuards = {
            methods: Int32Array.from(masks),
            checked: Uint8Array.from(checked.map(Number)),
            accept: (r) => {
              asked.push(r);
              return verdicts[r]!;
            },
          };
          const backend = create(shapes, guards);
          for (const [path, bit] of requests) {
            asked.length = 0;
            const got = hit(backend, shapes, path, backend.lookup(path, bit));
            const admits = (i: number) => (masks[i]! & bit) !== 0 && (!checked[i] || verdicts[i]!);
            const want = oracleMatch(oracleRoutes(shapes), path, RAW, admits);
            expect(got, `${path} bit ${bit} in ${JSON.stringify(shapes)}`).toEqual(want);
            // `accept` is asked only for checked routes whose method mask lets the request in, each once.
            for (const r of asked) expect(checked[r] && (masks[r]! & bit) !== 0).toBe(true);
            expect(new Set(asked).size).toBe(asked.length);
          }
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('with LAZY_METHOD, asks methodBit only at a masked slot and answers as with the bit', () => {
    fc.assert(
      fc.property(
        tableArb.chain((shapes) =>
          fc.tuple(
            fc.constant(shapes),
            fc.array(maskArb, { minLength: shapes.length, maxLength: shapes.length }),
            fc.array(fc.tuple(pathArb, bitArb), { minLength: 1, maxLength: 8 }),
          ),
        ),
        ([shapes, masks, requests]) => {
          let bit = 0;
          let asked = 0;
          const guards: BackendGuards = {
            methods: Int32Array.from(masks),
            checked: new Uint8Array(shapes.length),
            accept: () => true,
            methodBit: () => (asked++, bit),
          };
          const backend = create(shapes, guards);
          if (backend.lazyMethod !== true) return; // native reads the bit up front
          for (const [path, b] of requests) {
            bit = b;
            asked = 0;
            const got = hit(backend, shapes, path, backend.lookup(path, LAZY_METHOD));
            const want = oracleMatch(oracleRoutes(shapes), path, RAW, (i) => (masks[i]! & b) !== 0);
            expect(got, `${path} bit ${b} in ${JSON.stringify(shapes)}`).toEqual(want);
            // No route whose mask needs the method matches the path: the request is never read.
            // (One that does is reached only when no route before it in precedence wins.)
            const masked = oracleMatch(oracleRoutes(shapes), path, RAW, (i) => masks[i] !== ALL_METHODS);
            if (masked === null) expect(asked).toBe(0);
            // The winner needed the method when its mask is not every method.
            if (got !== null && masks[got.index] !== ALL_METHODS) expect(asked).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('without guards, equals the oracle (constrained parameters, precedence)', () => {
    fc.assert(
      fc.property(tableArb, fc.array(pathArb, { minLength: 1, maxLength: 8 }), (shapes, paths) => {
        const backend = create(shapes, null);
        for (const path of paths) expect(hit(backend, shapes, path, backend.lookup(path)), path).toEqual(oracleMatch(oracleRoutes(shapes), path, RAW));
      }),
      { numRuns: 1_500 },
    );
  });

  it('enumerate visits exactly the matching routes, in precedence order, and can stop', () => {
    fc.assert(
      fc.property(tableArb, fc.array(pathArb, { minLength: 1, maxLength: 6 }), (shapes, paths) => {
        const backend = create(shapes, null);
        for (const path of paths) {
          const visited: number[] = [];
          expect(backend.enumerate(path, (r) => (visited.push(r), false))).toBe(-1);
          // The oracle's order: repeatedly take the winner and remove it.
          const removed = new Set<number>();
          const expected: number[] = [];
          for (;;) {
            const m = oracleMatch(oracleRoutes(shapes), path, OPTIONS, (i) => !removed.has(i));
            if (m === null) break;
            expected.push(m.index);
            removed.add(m.index);
          }
          expect(visited, `${path} in ${JSON.stringify(shapes)}`).toEqual(expected);
          if (expected.length > 1) expect(backend.enumerate(path, (r) => r === expected[1])).toBe(expected[1]);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
