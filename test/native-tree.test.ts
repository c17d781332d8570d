/**
 * The Rust backend at its own boundary (issue 8): `src/match/native.ts` loading the addon, and
 * the `MatcherBackend` it returns, driven with raw shapes and raw strings (no router, no
 * static-path Map in front). The tree's rules are tested exhaustively in Rust
 * (`cargo test --manifest-path native/Cargo.toml`); this file checks what only JavaScript can
 * see: offsets in UTF-16 units of the JS string, the shared offsets buffer, conflicts as
 * pairs, values that are not strings, huge strings, a detached buffer, finalizers, and
 * agreement with the TypeScript backend on random shapes and paths.
 *
 * CI builds the addon (CI=true / ROUTING_CORE_REQUIRE_NATIVE=1): there a missing addon fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { BackendOptions, MatcherBackend } from '../src/match/core.js';
import { offsetsLength } from '../src/match/core.js';
import { loadNativeBackend } from '../src/match/native.js';
import { createJsBackend } from '../src/match/tree.js';
import { describeNative } from './helpers.js';

const native = loadNativeBackend();
const required = process.env.CI === 'true' || process.env.ROUTING_CORE_REQUIRE_NATIVE === '1';
const CS: BackendOptions = { caseSensitive: true, ignoreTrailingSlash: false };
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('loading the native backend', () => {
  it('loads, or says why and how to build it', () => {
    if (required) expect(native.ok, native.ok ? '' : native.reason).toBe(true);
    if (!native.ok) {
      expect(native.reason).toMatch(/npm run build:native|not available in this runtime/);
    }
  });

  it('is not available without a Node.js process (browsers, edge runtimes)', async () => {
    vi.resetModules();
    const saved = globalThis.process;
    let result: ReturnType<typeof loadNativeBackend>;
    try {
      const fresh = await import('../src/match/native.js');
      Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
      result = fresh.loadNativeBackend();
    } finally {
      Object.defineProperty(globalThis, 'process', { value: saved, configurable: true, writable: true });
    }
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('not available in this runtime') });
  });

  it('ROUTING_CORE_NATIVE_PATH: a missing file is reported, never thrown', async () => {
    vi.resetModules();
    vi.stubEnv('ROUTING_CORE_NATIVE_PATH', '/nonexistent/routing-core.node');
    try {
      const fresh = await import('../src/match/native.js');
      const result = fresh.loadNativeBackend();
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain('ROUTING_CORE_NATIVE_PATH=/nonexistent/routing-core.node');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

// Reported as skipped where the addon is missing; a failure with the load reason where it is required.
describeNative('the native backend', (native) => {
  const create = (shapes: string[][], options: BackendOptions = CS): MatcherBackend => native.create(shapes, options);
  /** Pattern syntax -> shape, as src/validate does for canonical patterns. */
  const shape = (pattern: string): string[] => {
    const segs = pattern.slice(1).split('/');
    return segs.map((s, i) => (s.startsWith(':') || (s === '*' && i < segs.length - 1) ? ':' : s));
  };
  /** Lookup materialized like src/match/materialize.ts: [route, params, remainder?]. */
  const run = (backend: MatcherBackend, shapes: string[][], path: string) => {
    const r = backend.lookup(path);
    if (r < 0) return null;
    const n = shapes[r]!.filter((s) => s === ':').length;
    const o = backend.offsets;
    const params = Array.from({ length: n }, (_, i) => path.slice(o[2 * i], o[2 * i + 1]));
    return shapes[r]!.at(-1) === '*' ? [r, params, path.slice(o[2 * n])] : [r, params];
  };

  describe('the native MatcherBackend', () => {
    it('is named native, owns an offsets buffer of offsetsLength(shapes), and reuses it', () => {
      const shapes = [['u', ':', 'p', ':'], ['*']];
      const b = create(shapes);
      expect(b.name).toBe('native');
      expect(b.offsets).toBeInstanceOf(Int32Array);
      expect(b.offsets.length).toBe(offsetsLength(shapes));
      const before = b.offsets;
      expect(b.lookup('/u/1/p/2')).toBe(0);
      expect(b.offsets).toBe(before);
      expect(Array.from(b.offsets.subarray(0, 4))).toEqual([3, 4, 7, 8]);
      // A miss leaves the buffer alone.
      b.offsets.fill(-5);
      expect(b.lookup('nope')).toBe(-1);
      expect(Array.from(b.offsets)).toEqual(new Array(b.offsets.length).fill(-5));
    });

    it('answers the SPEC section 3 table', () => {
      const cases: [string[], string, string][] = [
        [['/api/users', '/api/*'], '/api/users', '/api/users'],
        [['/api/:x/c', '/api/b/*'], '/api/b/c', '/api/b/*'],
        [['/a/:x/c', '/a/*'], '/a/b/d', '/a/*'],
        [['/api/*', '/api/v2/*', '/*'], '/api/v2/users/1', '/api/v2/*'],
        [['/api', '/api/*'], '/api', '/api'],
        [['/api/:id', '/api/*'], '/api', '/api/*'],
      ];
      for (const [patterns, path, winner] of cases) {
        for (const order of [patterns, [...patterns].reverse()]) {
          const b = create(order.map(shape));
          expect(order[b.lookup(path)], `${order.join(' ')} ${path}`).toBe(winner);
        }
      }
    });

    it('writes parameter and remainder offsets in UTF-16 code units of the JS string', () => {
      const patterns = ['/u/:id/*', '/*', '/f/:a/:b'];
      const shapes = patterns.map(shape);
      const b = create(shapes);
      expect(run(b, shapes, '/u/42/orders/7')).toEqual([0, ['42'], '/orders/7']);
      expect(run(b, shapes, '/u/42')).toEqual([0, ['42'], '']);
      expect(run(b, shapes, '/u/42/')).toEqual([0, ['42'], '/']);
      expect(run(b, shapes, '/about')).toEqual([1, [], '/about']);
      expect(run(b, shapes, '/')).toEqual([1, [], '/']);
      expect(run(b, shapes, '/u/😀é/x')).toEqual([0, ['😀é'], '/x']);
      expect(run(b, shapes, '/f/日本/\uD800')).toEqual([2, ['日本', '\uD800']]);
      expect(run(b, shapes, '/f/\uDFFF\uD800/\u0000')).toEqual([2, ['\uDFFF\uD800', '\u0000']]);
    });

    it('ignoreTrailingSlash matches without the last slash; the remainder keeps it', () => {
      const shapes = [['docs'], ['api', '*'], ['u', ':']];
      const b = create(shapes, { caseSensitive: true, ignoreTrailingSlash: true });
      expect(run(b, shapes, '/docs/')).toEqual([0, []]);
      expect(run(b, shapes, '/api/x/')).toEqual([1, [], '/x/']);
      expect(run(b, shapes, '/api/')).toEqual([1, [], '/']);
      expect(run(b, shapes, '/u/7/')).toEqual([2, ['7']]);
      expect(run(b, shapes, '/docs//')).toBeNull();
    });

    it('caseSensitive: false folds ASCII letters of the path only', () => {
      const shapes = [['api', 'users'], ['u', ':']];
      const b = create(shapes, { caseSensitive: false, ignoreTrailingSlash: false });
      expect(run(b, shapes, '/API/Users')).toEqual([0, []]);
      expect(run(b, shapes, '/U/MiXeD')).toEqual([1, ['MiXeD']]);
      expect(b.lookup('/\u0101pi/users')).toBe(-1); // U+0101's low byte is 'a'
      expect(b.lookup('/\u212Api/users')).toBe(-1); // KELVIN SIGN folds to 'k' in Unicode, not here
    });

    it('reports conflicts as [earlier, later] pairs; the earlier one wins', () => {
      const b = create([['u', ':'], ['u', ':'], ['a', '*'], ['x'], ['a', '*']]);
      expect(b.conflicts).toEqual([
        [0, 1],
        [2, 4],
      ]);
      expect(b.lookup('/u/1')).toBe(0);
      expect(b.lookup('/a/b')).toBe(2);
      expect(create([['docs'], ['docs', ''], ['docs', '*'], ['docs', ':'], [':'], ['*'], ['']]).conflicts).toEqual([]);
      // Shapes are compared as given: folding case and dropping a trailing empty segment is
      // the router's job (core.ts), as for the TypeScript backend.
      expect(create([['Api'], ['api']], { caseSensitive: false, ignoreTrailingSlash: false }).conflicts).toEqual([]);
    });

    it('never throws on values that are not strings, and ignores `this`', () => {
      const b = create([['*'], ['x']]);
      const lookup = b.lookup as unknown as (...args: unknown[]) => number;
      for (const v of [undefined, null, 0, 42, true, {}, [], ['/x'], Symbol('x'), 10n, () => '/x', new String('/x')]) {
        expect(lookup(v)).toBe(-1);
      }
      expect(lookup()).toBe(-1);
      expect(lookup.call(undefined, '/x')).toBe(1);
      expect(lookup.call({}, '/y', 'extra', 3)).toBe(0);
      for (const p of ['', 'x', ' /', '\\/', '*']) expect(lookup(p)).toBe(-1);
    });

    it('handles huge paths (1 MB, 10,000+ segments) and a buffer that grows and shrinks', () => {
      const shapes = [['u', ':'], ['a', '*'], [':', ':', ':']];
      const b = create(shapes);
      const big = 'x'.repeat(1 << 20);
      for (let round = 0; round < 40; round++) {
        expect(run(b, shapes, `/u/${big}`)).toEqual([0, [big]]);
        expect(run(b, shapes, '/u/7')).toEqual([0, ['7']]);
        expect(b.lookup('/a' + '/s'.repeat(10_000))).toBe(1);
        expect(b.offsets[0]).toBe(2);
      }
      // Longer than the first read, each length around the initial buffer size.
      for (const n of [1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 4096]) {
        const v = 'v'.repeat(n);
        expect(run(b, shapes, `/u/${v}`), String(n)).toEqual([0, [v]]);
      }
      expect(b.lookup('/'.repeat(1 << 20))).toBe(-1);
      expect(run(b, shapes, '/a' + '😀'.repeat(100_000))).toBeNull();
      expect(run(b, shapes, '/a/' + '😀'.repeat(100_000))).toEqual([1, [], '/' + '😀'.repeat(100_000)]);
    });

    it('a detached offsets buffer makes hits miss instead of writing freed memory', () => {
      const b = create([['u', ':']]);
      expect(b.lookup('/u/1')).toBe(0);
      const buffer = b.offsets.buffer as ArrayBuffer;
      structuredClone(buffer, { transfer: [buffer] });
      expect(b.offsets.length).toBe(0);
      for (let i = 0; i < 1000; i++) expect(b.lookup('/u/' + i)).toBe(-1);
    });

    it('invalid shapes are refused with an error (validation never produces them)', () => {
      expect(() => create([[]])).toThrow(/at least one segment/);
      expect(() => create([['a', '*', 'b']])).toThrow(/not the last segment/);
      expect(() => create([['a/b']])).toThrow(/contains "\/"/);
    });

    it('matchers are freed by the garbage collector without crashing (finalizers)', () => {
      const script = `
        const { createMatcher } = require(${JSON.stringify(ROOT + 'bindings/index.cjs')});
        let kept = [];
        for (let i = 0; i < 20000; i++) {
          const m = createMatcher([['u', ':'], ['a', '*']], { caseSensitive: true, ignoreTrailingSlash: false });
          if (m.lookup('/u/' + i) !== 0 || m.offsets[1] !== 3 + String(i).length) throw new Error('bad ' + i);
          if (i % 100 === 0) kept.push(m.lookup);
          if (i % 1000 === 0) { globalThis.gc(); kept = kept.slice(-3); }
        }
        globalThis.gc();
        for (const f of kept) if (f('/a/x') !== 1) throw new Error('kept lookup broken');
        console.log('ok');
      `;
      const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('ok');
      expect(child.status).toBe(0);
    });
  });

  describe('agreement with the TypeScript backend on random shapes and paths', () => {
    // Static text is canonical, so ASCII (core.ts); paths are any string.
    const seg = fc.constantFrom('a', 'b', 'ab', 'A', '', ':', ':', '*', '%C3%A9', '%41', '~', 'v1.json');
    const shapeArb = fc
      .array(seg, { minLength: 1, maxLength: 5 })
      .map((s) => s.map((x, i) => (x === '*' && i < s.length - 1 ? ':' : x)));
    const pathSeg = fc.constantFrom('a', 'b', 'ab', 'A', 'B', '', 'x', 'é', '\uD800', '%41', '%c3%a9', '%C3%A9', 'aB', ':', '*', '~', 'V1.JSON');
    const pathArb = fc.oneof(
      fc.array(pathSeg, { minLength: 1, maxLength: 7 }).map((s) => '/' + s.join('/')),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const optionsArb = fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() });

    it('the same route and the same offsets for every path', () => {
      fc.assert(
        fc.property(fc.array(shapeArb, { minLength: 1, maxLength: 12 }), optionsArb, fc.array(pathArb, { maxLength: 25 }), (raw, options, paths) => {
          // Static text arrives lower-cased when matching is case-insensitive (core.ts).
          const shapes = options.caseSensitive ? raw : raw.map((s) => s.map((x) => x.toLowerCase()));
          const nb = create(shapes, options);
          for (const codegen of [true, false]) {
            const jb = createJsBackend(shapes, { ...options, codegen });
            expect(nb.conflicts).toEqual(jb.conflicts);
            for (const path of paths) {
              expect(run(nb, shapes, path), `${JSON.stringify(shapes)} ${JSON.stringify(options)} ${JSON.stringify(path)}`).toEqual(
                run(jb, shapes, path),
              );
            }
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('the GitHub API table with distinct parameter values', async () => {
      const { readFile } = await import('node:fs/promises');
      const data = JSON.parse(await readFile(new URL('../bench/data/github-api-routes.json', import.meta.url), 'utf8')) as {
        routes: { pattern: string; path: string }[];
      };
      expect(data.routes.length).toBeGreaterThan(100);
      const shapes = data.routes.map((r) => shape(r.pattern));
      const nb = create(shapes);
      const jb = createJsBackend(shapes, { ...CS, codegen: false });
      data.routes.forEach((r, i) => {
        for (const v of ['1', 'octo-cat', 'x'.repeat(300), '%E2%9C%93']) {
          const path = r.pattern.replace(/:[a-z0-9]+/g, v);
          expect(nb.lookup(path), path).toBe(i);
          expect(run(nb, shapes, path), path).toEqual(run(jb, shapes, path));
        }
      });
    });
  });
});
