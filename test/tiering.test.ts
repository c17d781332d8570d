/**
 * src/match/tiering.ts: a table is served by the interpreter and `materialize` for its first
 * `codegenAfter` lookups, then by generated code. The swap must be invisible (same route, same
 * offsets, same match objects, key order included), must happen only between lookups (never
 * inside a walk that a condition re-entered), and `engine` names the chosen engine throughout.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import type { BackendGuards } from '../src/match/core.js';
import { codegenAfter, DEFAULT_CODEGEN_AFTER } from '../src/match/tiering.js';
import { createJsBackend } from '../src/match/tree.js';

afterEach(() => {
  delete process.env.ROUTING_CORE_CODEGEN_AFTER;
});

const OPTIONS = { caseSensitive: true, ignoreTrailingSlash: false };
const SHAPES = [['a', ':', 'b'], ['a', ':', '*'], ['a', 'x', 'b'], [':', ':'], ['users', ':'], ['*']];
const PATHS = ['/a/1/b', '/a/x/b', '/a/2/c/d', '/q/r', '/users/7', '/users', '/a/x/b/', '/', 'nope', '/a//b'];

/** Route index and the offsets the route uses (the rest of the buffer is stale by contract). */
function answer(m: ReturnType<typeof createJsBackend>, path: string, shapes: readonly (readonly string[])[]): unknown {
  const route = m.lookup(path);
  if (route < 0) return route;
  const params = shapes[route]!.filter((s) => s.charCodeAt(0) === 0x3a).length;
  const used = shapes[route]!.at(-1) === '*' ? 2 * params + 1 : 2 * params;
  return [route, ...m.offsets.slice(0, used)];
}

/** A match as plain data, with its keys in order (the generated builder and `materialize` must agree on both). */
function plain(m: RouteMatch | null): unknown {
  if (m === null) return null;
  return { keys: Object.keys(m), paramKeys: Object.keys(m.params), pattern: m.pattern, target: m.target, params: { ...m.params }, remainder: m.remainder, route: m.route.index };
}

describe('the matcher tiers up after `codegenAfter` lookups', () => {
  it('serves the interpreter for the first lookups, then generated code, with the same answers across the threshold', () => {
    const tiered = createJsBackend(SHAPES, { ...OPTIONS, codegenAfter: 3 });
    const eager = createJsBackend(SHAPES, { ...OPTIONS, codegenAfter: 0 });
    const interpreter = createJsBackend(SHAPES, { ...OPTIONS, codegen: false });
    expect([tiered.engine, tiered.serving]).toEqual(['generated', 'interpreter']);
    expect([eager.engine, eager.serving]).toEqual(['generated', 'generated']);
    expect([interpreter.engine, interpreter.serving]).toEqual(['interpreter', 'interpreter']);
    const served: string[] = [];
    for (const path of [...PATHS, ...PATHS]) {
      const got = answer(tiered, path, SHAPES);
      expect(got).toEqual(answer(interpreter, path, SHAPES));
      expect(got).toEqual(answer(eager, path, SHAPES));
      served.push(tiered.serving);
    }
    // Lookups that fail the leading-'/' check never reach a walk and are not counted.
    const counted = [...PATHS, ...PATHS].map((p) => p.startsWith('/'));
    const swapAt = counted.findIndex((_, i) => counted.slice(0, i + 1).filter(Boolean).length === 4);
    served.forEach((s, i) => expect(s).toBe(i >= swapAt ? 'generated' : 'interpreter'));
    expect(tiered.engine).toBe('generated');
  });

  it('enumerate (explain, 405) does not count toward the threshold', () => {
    const tiered = createJsBackend(SHAPES, { ...OPTIONS, codegenAfter: 1 });
    for (let i = 0; i < 5; i++) tiered.enumerate('/a/1/b', () => false);
    tiered.lookup('/a/1/b');
    expect(tiered.serving).toBe('interpreter');
    tiered.lookup('/a/1/b');
    expect(tiered.serving).toBe('generated');
  });

  it('a tree past the generator never tiers up and reports the interpreter', () => {
    const big = Array.from({ length: 3_000 }, (_, i) => [`t${i}`, 'users', ':']);
    const m = createJsBackend(big, { ...OPTIONS, codegenAfter: 2 });
    for (let i = 0; i < 5; i++) expect(m.lookup(`/t${i}/users/x`)).toBe(i);
    expect([m.engine, m.serving]).toEqual(['interpreter', 'interpreter']);
  });

  it('law: for any shapes, paths and threshold, every answer equals the interpreter, and past the threshold generated code serves', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', ':', ':');
    const shape = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([s, star]) => (star ? [...s, '*'] : s));
    const path = fc.array(fc.constantFrom('a', 'b', 'ab', 'x', ''), { minLength: 0, maxLength: 6 }).map((s) => '/' + s.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(shape, { minLength: 1, maxLength: 12, selector: (s) => s.join('/') }), fc.array(path, { maxLength: 40 }), fc.nat(30), (shapes, paths, after) => {
        const tiered = createJsBackend(shapes, { ...OPTIONS, codegenAfter: after });
        const interpreter = createJsBackend(shapes, { ...OPTIONS, codegen: false });
        for (const p of paths) expect(answer(tiered, p, shapes)).toEqual(answer(interpreter, p, shapes));
        expect(tiered.serving).toBe(paths.length > after || after === 0 ? 'generated' : 'interpreter');
      }),
      { numRuns: 200 },
    );
  });
});

describe('a lookup re-entered from a guard never swaps mid-walk', () => {
  it('inner lookups during an interpreted walk neither count nor swap; the outer answer is intact', () => {
    const shapes = [
      ['a', ':'],
      ['a', '*'],
      ['b', ':'],
    ];
    let tiered: ReturnType<typeof createJsBackend> | null = null;
    const seen: string[] = [];
    const guards: BackendGuards = {
      methods: new Int32Array([-1, -1, -1]),
      checked: new Uint8Array([1, 0, 0]),
      accept: () => {
        const m = tiered!;
        const saved = m.offsets.slice(); // as the router does around a re-entered lookup
        for (let i = 0; i < 5; i++) {
          expect(m.lookup('/b/' + 'x'.repeat(i + 1))).toBe(2);
          seen.push(m.serving);
        }
        m.offsets.set(saved);
        return false; // refused: the walk goes on to the catch-all
      },
    };
    tiered = createJsBackend(shapes, { ...OPTIONS, codegenAfter: 1 }, guards);
    expect(tiered.lookup('/a/12')).toBe(1);
    expect(tiered.offsets[0]).toBe(2);
    expect(seen).toEqual(Array(5).fill('interpreter'));
    expect(tiered.serving).toBe('interpreter');
    // The next top-level lookup crosses the threshold: the generated code serves it, same answer.
    seen.length = 0;
    expect(tiered.lookup('/a/12')).toBe(1);
    expect(tiered.serving).toBe('generated');
    expect(seen).toEqual(Array(5).fill('generated'));
  });

  it.each([{ codegen: true }, { codegen: false }])('through compile (%o): a headers function re-entering match, refusing or accepting, across the threshold', ({ codegen }) => {
    process.env.ROUTING_CORE_CODEGEN_AFTER = '2';
    const routes = { '/a/:id': { headers: { 'x-v': '2' }, target: 'http://two' }, '/a/*': 'http://rest', '/b/:id': 'http://b/:id' };
    const router = compile(routes, { backend: 'js', codegen });
    const reference = compile(routes, { backend: 'js', codegen: false });
    for (let i = 0; i < 8; i++) {
      // Odd lookups refuse the route after re-entering: the outer walk must go on to `/a/*`
      // with its own stack and captures.
      const value = i % 2 === 0 ? '2' : '3';
      const headers = (name: string): string | null => {
        if (name !== 'x-v') return null;
        for (let k = 0; k < 4; k++) expect(plain(router.match(`/b/${k}${'z'.repeat(70)}`))).toEqual(plain(reference.match(`/b/${k}${'z'.repeat(70)}`)));
        return value;
      };
      const path = `/a/${i}${'y'.repeat(i * 20)}`;
      expect(plain(router.match(path, { headers }))).toEqual(plain(reference.match(path, { headers: { 'x-v': value } })));
      expect(plain(router.match(`/a/${i}/z`))).toEqual(plain(reference.match(`/a/${i}/z`)));
    }
  });
});

describe('through compile', () => {
  const routes = {
    '/users/:id': 'http://users/:id',
    '/users/:id/orders/:order': 'http://orders/:order',
    '/files/*': 'http://files',
    '/health': 'http://health',
    '/:tenant/api/*': 'http://api',
    '/%C3%A9t%C3%A9': 'http://ete',
  };

  it('engine names the chosen engine before and after the swap', () => {
    const router = compile(routes, { backend: 'js' });
    expect(router.engine).toBe('generated');
    for (let i = 0; i < DEFAULT_CODEGEN_AFTER + 10; i++) router.match(`/users/${i}`);
    expect(router.engine).toBe('generated');
    expect(compile(routes, { backend: 'js', codegen: false }).engine).toBe('interpreter');
  });

  it('law: matches before and after the swap (lookup and match builder) equal the interpreter and materialize, key order included', () => {
    const piece = fc.constantFrom('users', 'files', 'health', 'api', 'orders', 't1', '%C3%A9t%C3%A9', 'x%20y', '%E0%A4%A', '');
    const path = fc.array(piece, { minLength: 1, maxLength: 5 }).map((s) => '/' + s.join('/'));
    const reference = compile(routes, { backend: 'js', codegen: false });
    fc.assert(
      fc.property(fc.array(path, { minLength: 1, maxLength: 30 }), fc.nat(20), (paths, after) => {
        process.env.ROUTING_CORE_CODEGEN_AFTER = String(after);
        const router = compile(routes, { backend: 'js' });
        for (const p of paths) expect(plain(router.match(p))).toEqual(plain(reference.match(p)));
      }),
      { numRuns: 200 },
    );
  });

  it('ROUTING_CORE_CODEGEN_AFTER: a whole number, else a clear error at compile', () => {
    expect(codegenAfter()).toBe(DEFAULT_CODEGEN_AFTER);
    process.env.ROUTING_CORE_CODEGEN_AFTER = '0';
    expect(codegenAfter()).toBe(0);
    for (const bad of ['-1', '1.5', 'soon', '1e3']) {
      process.env.ROUTING_CORE_CODEGEN_AFTER = bad;
      expect(() => compile(routes)).toThrow(`ROUTING_CORE_CODEGEN_AFTER must be a whole number of lookups (0 = generate at compile time), not "${bad}"`);
    }
  });

  it('the codegenAfter option: wins over the environment, a whole number, else a clear error at compile', () => {
    process.env.ROUTING_CORE_CODEGEN_AFTER = '5000';
    expect(codegenAfter(0)).toBe(0);
    expect(codegenAfter(7)).toBe(7);
    const eager = compile(routes, { backend: 'js', codegenAfter: 0 });
    expect((eager as unknown as { matcher: { serving: string } }).matcher.serving).toBe('generated');
    const tiered = compile(routes, { backend: 'js' });
    expect((tiered as unknown as { matcher: { serving: string } }).matcher.serving).toBe('interpreter');
    for (const bad of [-1, 1.5, Number.NaN, Infinity, '3' as unknown as number]) {
      expect(() => compile(routes, { backend: 'js', codegenAfter: bad })).toThrow(
        `codegenAfter must be a whole number of lookups (0 = generate at compile time), not ${String(bad)}`,
      );
    }
  });
});
