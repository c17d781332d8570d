/**
 * The Rust backend at its own boundary (issue 8): `src/match/native.ts` loading the addon, and
 * the `MatcherBackend` it returns, driven with raw shapes and raw strings (no router, no
 * static-path Map in front). The tree's rules are tested exhaustively in Rust
 * (`cargo test --manifest-path native/Cargo.toml`); this file checks what only JavaScript can
 * see: offsets in UTF-16 units of the JS string, the shared offsets buffer, values that are
 * not strings, huge strings, a detached buffer, finalizers, constrained parameters, guards
 * (method masks, checked routes whose walk suspends and resumes), `enumerate`, the step
 * counter, and agreement with the TypeScript backend on random shapes and paths.
 *
 * CI builds the addon (CI=true / ROUTING_CORE_REQUIRE_NATIVE=1): there a missing addon fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it, vi } from 'vitest';
import type { BackendGuards, BackendOptions, MatcherBackend } from '../src/match/core.js';
import { OTHER_METHOD_BIT, offsetsLength } from '../src/match/core.js';
import { loadNativeAddon, loadNativeBackend } from '../src/match/native.js';
import { createJsBackend } from '../src/match/tree.js';
import { describeNative, lookupParts } from './helpers.js';

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
  const create = (shapes: string[][], options: BackendOptions = CS, guards?: BackendGuards): MatcherBackend => native.create(shapes, options, guards);
  /** Pattern syntax -> shape, as src/validate does for canonical patterns. */
  const shape = (pattern: string): string[] => {
    const segs = pattern.slice(1).split('/');
    return segs.map((s, i) => (s.startsWith(':') || (s === '*' && i < segs.length - 1) ? ':' : s));
  };
  const run = lookupParts;

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
      const shapes = [
        ['api', 'users'],
        ['u', ':'],
      ];
      const b = create(shapes, { caseSensitive: false, ignoreTrailingSlash: false });
      expect(run(b, shapes, '/API/Users')).toEqual([0, []]);
      expect(run(b, shapes, '/U/MiXeD')).toEqual([1, ['MiXeD']]);
      expect(b.lookup('/\u0101pi/users')).toBe(-1); // U+0101's low byte is 'a'
      expect(b.lookup('/\u212Api/users')).toBe(-1); // KELVIN SIGN folds to 'k' in Unicode, not here
    });

    it('a repeated shape (which validation rejects) keeps the first and reports nothing', () => {
      const b = create([['u', ':'], ['u', ':'], ['a', '*'], ['x'], ['a', '*']]);
      expect(Object.keys(b).sort()).toEqual(['enumerate', 'lookup', 'name', 'offsets']);
      expect(b.lookup('/u/1')).toBe(0);
      expect(b.lookup('/a/b')).toBe(2);
      expect(b.lookup('/x')).toBe(3);
    });

    it('never throws on values that are not strings, and ignores `this`', () => {
      const b = create([['*'], ['x']]);
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called without `this` on purpose: the native lookup ignores it
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
      const shapes = [
        ['u', ':'],
        ['a', '*'],
        [':', ':', ':'],
      ];
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

    it("a REGEX the regex crate refuses is an error naming the route and giving the crate's reason", () => {
      expect(() => create([['a'], ['f', ':(?<=x)y']])).toThrow(/route 1: the regex "\(\?<=x\)y" .*look-around/s);
      expect(() => create([['f', ':a)|(b']])).toThrow(/route 0: .*unopened group/s);
      expect(() => create([['f', ':\uD800']])).toThrow(/route 0: .*lone surrogate/);
      const guards = { methods: new Int32Array(1), checked: new Uint8Array(2), accept: () => true };
      expect(() => create([['a'], ['b']], CS, guards)).toThrow(/one entry per route: 2 routes, 1 method masks, 2 checked/);
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
        // The four functions share the matcher: any one of them keeps it alive.
        let resumes = [];
        for (let i = 0; i < 2000; i++) {
          const m = createMatcher([['u', ':'], ['*']], { caseSensitive: true, ignoreTrailingSlash: false });
          if (m.lookupAll('/u/' + i) !== 0) throw new Error('bad lookupAll ' + i);
          resumes.push([m.resume, m.offsets]);
        }
        globalThis.gc();
        for (const [resume, offsets] of resumes) if (resume() !== 1 || offsets[0] !== 0 || resume() !== -1) throw new Error('kept resume broken');
        resumes = null;
        globalThis.gc();
        console.log('ok');
      `;
      const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('ok');
      expect(child.status).toBe(0);
    });
  });

  describe('constrained parameters (SPEC 10.2)', () => {
    it('static, then constrained in code-point order of their REGEX, then plain, then catch-all', () => {
      const shapes = [
        ['f', '*'],
        ['f', ':'],
        ['f', ':[a-z]+'],
        ['f', ':[0-9]+'],
        ['f', ':\u00e9|x'],
        ['f', 'new'],
        ['f', ':\u{1F600}|y'],
        ['f', ':\uFFFD|y'],
      ];
      const b = create(shapes);
      expect(run(b, shapes, '/f/new')).toEqual([5, []]);
      expect(run(b, shapes, '/f/42')).toEqual([3, ['42']]);
      expect(run(b, shapes, '/f/abc')).toEqual([2, ['abc']]);
      expect(run(b, shapes, '/f/x')).toEqual([2, ['x']]); // "[a-z]+" sorts before "é|x"
      expect(run(b, shapes, '/f/y')).toEqual([2, ['y']]);
      // Without "[a-z]+": U+FFFD sorts before U+1F600 by code point (by UTF-16 unit it would not).
      const without = shapes.filter((_, i) => i !== 2);
      expect(without[6]).toEqual(['f', ':\uFFFD|y']);
      expect(run(create(without), without, '/f/y')).toEqual([6, ['y']]);
      expect(run(b, shapes, '/f/A-1')).toEqual([1, ['A-1']]);
      expect(run(b, shapes, '/f/4/2')).toEqual([0, [], '/4/2']);
      expect(run(b, shapes, '/f')).toEqual([0, [], '']);
    });

    it('the REGEX matches the whole raw segment; a non-ASCII unit matches no constrained parameter', () => {
      const shapes = [
        ['u', ':[0-9]+', 'x'],
        ['u', ':.+'],
        ['u', ':(?i)caf%c3%a9'],
      ];
      const b = create(shapes, { caseSensitive: false, ignoreTrailingSlash: false });
      expect(run(b, shapes, '/u/12/x')).toEqual([0, ['12']]);
      expect(run(b, shapes, '/U/12/X')).toEqual([0, ['12']]);
      expect(run(b, shapes, '/u/12a')).toEqual([1, ['12a']]);
      expect(run(b, shapes, '/u/12/y')).toBeNull();
      expect(run(b, shapes, '/u/CAF%C3%A9')).toEqual([2, ['CAF%C3%A9']]); // "(" sorts before "."
      expect(run(b, shapes, '/u/CAF%C3%A8')).toEqual([1, ['CAF%C3%A8']]);
      expect(b.lookup('/u/caf\u00e9')).toBe(-1);
      expect(b.lookup('/u/\uD800')).toBe(-1);
      expect(b.lookup('/u/')).toBe(-1);
    });

    it('a long segment under many constrained branches is matched once per REGEX (counted work)', () => {
      const addon = loadNativeAddon()!;
      // Every combination of `a` / `:[a-z]+` over 8 levels, then a constrained and a plain end.
      const shapes: string[][] = [];
      for (let bits = 0; bits < 256; bits++) {
        const s = Array.from({ length: 8 }, (_, i) => ((bits >> i) & 1 ? ':[a-z]+' : 'a'));
        shapes.push([...s, ':[0-9]+', 'z'], [...s, ':x+', 'z']);
      }
      const m = addon.createMatcher(shapes, { ...CS, countSteps: true });
      const steps = (n: number) => {
        expect(m.lookup('/a'.repeat(8) + '/' + '1'.repeat(n))).toBe(-1);
        return m.lastSteps();
      };
      const small = steps(1000);
      const large = steps(100_000);
      // Linear: 100x the segment costs about 100x the segment's share, not 512x per branch.
      expect(large - small).toBeLessThan(99_000 * 6);
      expect(steps(1000)).toBe(small);
      // Without countSteps the counter stays 0.
      const plain = addon.createMatcher([['a']], CS);
      plain.lookup('/a');
      expect(plain.lastSteps()).toBe(0);
    });
  });

  describe('guards: method masks and checked routes (SPEC 10.1)', () => {
    const GET = 1;
    const POST = 2;
    const guards = (methods: number[], checked: number[], accept: (r: number) => boolean = () => true): BackendGuards => ({
      methods: Int32Array.from(methods),
      checked: Uint8Array.from(checked),
      accept,
    });

    it('a route whose mask lacks the method is absent: the walk goes on as without it', () => {
      const shapes = [['api', 'users'], ['api', '*'], ['api', ':'], ['api']];
      const b = create(shapes, CS, guards([GET, -1, POST, GET], [0, 0, 0, 0]));
      expect(b.lookup('/api/users', GET)).toBe(0);
      expect(run({ ...b, lookup: (p: string) => b.lookup(p, POST) }, shapes, '/api/users')).toEqual([2, ['users']]);
      expect(b.lookup('/api/users', OTHER_METHOD_BIT)).toBe(1);
      expect(b.lookup('/api/users')).toBe(0); // no method: every method
      expect(b.lookup('/api/users', undefined)).toBe(0);
      // At the end of the path an absent route lets the catch-all there be tried.
      expect(b.lookup('/api', GET)).toBe(3);
      expect(b.lookup('/api', POST)).toBe(1);
      expect(b.offsets[0]).toBe(4);
      const lookup = b.lookup.bind(b) as unknown as (...args: unknown[]) => number;
      for (const bad of ['GET', null, {}, 1n]) expect(lookup('/api', bad)).toBe(-1);
    });

    it('a checked route is offered to accept(route) with its offsets written; a rejection resumes the walk', () => {
      const shapes = [['u', ':[0-9]+'], ['u', ':'], ['u', '*'], ['*']];
      const seen: Array<[number, number, number]> = [];
      let rejected = new Set<number>();
      const b = create(
        shapes,
        CS,
        guards([-1, -1, -1, -1], [1, 1, 0, 1], (r) => {
          seen.push([r, b.offsets[0]!, b.offsets[1]!]);
          return !rejected.has(r);
        }),
      );
      expect(b.lookup('/u/42')).toBe(0);
      expect(seen).toEqual([[0, 3, 5]]);
      rejected = new Set([0]);
      seen.length = 0;
      expect(run(b, shapes, '/u/42')).toEqual([1, ['42']]);
      expect(seen).toEqual([
        [0, 3, 5],
        [1, 3, 5],
      ]);
      rejected = new Set([0, 1]);
      expect(run(b, shapes, '/u/42')).toEqual([2, [], '/42']);
      rejected = new Set([0, 1, 3]);
      expect(b.lookup('/x/y')).toBe(-1);
      expect(b.lookup('/u/42')).toBe(2);
    });

    it('many rejected candidates cost one walk (counted work), not one walk per candidate', () => {
      const addon = loadNativeAddon()!;
      const n = 200;
      // n nested catch-alls on one path: each is a candidate, all checked, all rejected.
      const shapes = Array.from({ length: n }, (_, i) => [...Array.from({ length: i }, () => 'a'), '*']);
      const g = { methods: new Int32Array(n).fill(-1), checked: new Uint8Array(n).fill(1) };
      const m = addon.createMatcher(shapes, { ...CS, countSteps: true }, g);
      const path = '/a'.repeat(n);
      let r = m.lookup(path);
      let candidates = 0;
      while (r >= 0) {
        candidates++;
        r = m.resume();
      }
      expect(candidates).toBe(n);
      expect(m.lastSteps()).toBeLessThan(20 * n);
    });

    it('enumerate visits every matching route in precedence order, ignoring methods and checks', () => {
      const shapes = [['*'], ['u', ':'], ['u', '*'], ['u', ':[0-9]+'], ['u', '7'], ['v']];
      for (const g of [undefined, guards([0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], () => false)]) {
        const b = create(shapes, CS, g);
        const visited: unknown[] = [];
        const path = '/u/7';
        expect(b.enumerate!(path, (r) => (visited.push(run({ ...b, lookup: () => r }, shapes, path)), false))).toBe(-1);
        expect(visited).toEqual([
          [4, []],
          [3, ['7']],
          [1, ['7']],
          [2, [], '/7'],
          [0, [], '/u/7'],
        ]);
        expect(b.enumerate!('/u/7', (r) => r === 1)).toBe(1);
        expect(b.enumerate!('x', () => false)).toBe(-1);
        // A visitor may look paths up and enumerate others: the enumeration goes on where it was.
        const again: unknown[] = [];
        const inner: number[] = [];
        const visit = (r: number) => {
          again.push(run({ ...b, lookup: () => r }, shapes, path));
          inner.push(
            b.lookup('/u/8'),
            b.enumerate!('/u/9', (q) => q === 2),
          );
          return false;
        };
        expect(b.enumerate!(path, visit)).toBe(-1);
        expect(again).toEqual(visited);
        expect(inner).toEqual(Array.from({ length: 5 }, () => [g === undefined ? 3 : -1, 2]).flat());
      }
    });

    it('accept() may look other paths up: the interrupted walk is replayed where it was', () => {
      const shapes = [['u', ':[0-9]+'], ['u', ':'], ['u', '*'], ['*']];
      const offered: Array<[number, number]> = [];
      let depth = 0;
      const b: MatcherBackend = create(
        shapes,
        CS,
        guards([-1, -1, -1, -1], [1, 1, 1, 0], (r) => {
          offered.push([depth, r]);
          if (depth === 0) {
            depth++;
            try {
              // Another guarded walk and an enumeration on the same matcher, from the check.
              expect(b.lookup('/u/x/y')).toBe(2);
              const seen: number[] = [];
              expect(b.enumerate!('/zz', (q) => (seen.push(q), false))).toBe(-1);
              expect(seen).toEqual([3]);
            } finally {
              depth--;
            }
          }
          return r === 2;
        }),
      );
      // Offsets are the outer route's, not those of the walks run inside accept().
      expect(run(b, shapes, '/u/42')).toEqual([2, [], '/42']);
      expect(offered).toEqual([
        [0, 0],
        [1, 2],
        [0, 1],
        [1, 2],
        [0, 2],
        [1, 2],
      ]);
    });
  });

  describe('agreement with a rank oracle on random tables with constraints, methods and checks', () => {
    // Sources are ASCII, so JavaScript's string order is code-point order here.
    const REGEXES = ['[0-9]+', '[a-z]+', 'a|ab', '(?i)a.*', 'x', '.*', '[^a]{2,}'];
    const seg = fc.constantFrom('a', 'b', 'ab', '', 'A', ':', ':', '*', ...REGEXES.map((r) => `:${r}`));
    const shapeArb = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.map((x, i) => (x === '*' && i < s.length - 1 ? ':' : x)));
    const routeArb = fc.record({ shape: shapeArb, methods: fc.constantFrom(-1, -1, 1, 2, 3, 0), checked: fc.boolean(), rejected: fc.boolean() });
    const pathSeg = fc.constantFrom('a', 'b', 'ab', 'aB', 'A', '', 'x', '12', 'abc', 'é', 'aaa');
    const pathArb = fc.tuple(fc.array(pathSeg, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([s, slash]) => `/${s.join('/')}${slash ? '/' : ''}`);
    const optionsArb = fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() });
    const isParam = (x: string) => x.startsWith(':');
    const compiled = new Map<string, RE2JS>();
    const whole = (source: string, text: string) => {
      let re = compiled.get(source);
      if (re === undefined) compiled.set(source, (re = RE2JS.compile(`^(?:${source})$`)));
      // eslint-disable-next-line no-control-regex -- \x00-\x7f is the ASCII range: the test is "ASCII only"
      return /^[\x00-\x7f]*$/.test(text) && re.matches(text);
    };
    /** The shape the router hands a backend under `options` (core.ts). */
    const canonical = (shape: string[], o: BackendOptions) => {
      const s = o.ignoreTrailingSlash && shape.length > 1 && shape.at(-1) === '' ? shape.slice(0, -1) : shape;
      return o.caseSensitive ? s : s.map((x) => (isParam(x) || x === '*' ? x : x.toLowerCase()));
    };
    /** Rank per segment: static 0, constrained 1 (by source), plain 2, catch-all 3; an end is -1. */
    const rank = (shape: string[]) => {
      const r: Array<[number, string]> = shape.map((x) => (x === '*' ? [3, ''] : x === ':' ? [2, ''] : isParam(x) ? [1, x.slice(1)] : [0, '']));
      if (shape.at(-1) !== '*') r.push([-1, '']);
      return r;
    };
    const before = (a: Array<[number, string]>, b: Array<[number, string]>) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i]![0] !== b[i]![0]) return a[i]![0] < b[i]![0];
        if (a[i]![1] !== b[i]![1]) return a[i]![1] < b[i]![1];
      }
      return a.length < b.length;
    };
    /** Every route matching `path` (the first of equal shapes only), best first, as run() reports it. */
    const oracle = (shapes: string[][], o: BackendOptions, path: string, present: (r: number) => boolean) => {
      const subject = o.ignoreTrailingSlash && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
      const segs: Array<[number, number]> = [];
      let start = 1;
      for (let i = 1; i <= subject.length; i++) {
        if (i === subject.length || subject[i] === '/') {
          segs.push([start, i]);
          start = i + 1;
        }
      }
      const hits: Array<{ rank: Array<[number, string]>; hit: unknown[] }> = [];
      shapes.forEach((shape, r) => {
        if (shapes.findIndex((other) => other.join('/') === shape.join('/') && other.length === shape.length) !== r || !present(r)) return;
        const catchAll = shape.at(-1) === '*';
        const fixed = catchAll ? shape.length - 1 : shape.length;
        if (catchAll ? segs.length < fixed : segs.length !== fixed) return;
        const params: string[] = [];
        for (let i = 0; i < fixed; i++) {
          const [a, b] = segs[i]!;
          const text = subject.slice(a, b);
          const x = shape[i]!;
          if (isParam(x)) {
            if (a === b || (x.length > 1 && !whole(x.slice(1), text))) return;
            params.push(text);
          } else if ((o.caseSensitive ? text : text.replace(/[A-Z]/g, (c) => c.toLowerCase())) !== x) return;
        }
        const hit: unknown[] = [r, params];
        if (catchAll) hit.push(path.slice(fixed === 0 ? 0 : segs[fixed - 1]![1]));
        hits.push({ rank: rank(shape), hit });
      });
      hits.sort((x, y) => (before(x.rank, y.rank) ? -1 : before(y.rank, x.rank) ? 1 : 0));
      return hits.map((h) => h.hit);
    };

    it('lookup with methods and rejected checks, and enumerate, give what the oracle gives', () => {
      fc.assert(
        fc.property(
          fc.array(routeArb, { minLength: 1, maxLength: 8 }),
          optionsArb,
          fc.constantFrom(1, 2, 4, OTHER_METHOD_BIT),
          fc.array(pathArb, { minLength: 1, maxLength: 10 }),
          (routes, options, method, paths) => {
            const shapes = routes.map((r) => canonical(r.shape, options));
            const offered: number[] = [];
            const guards: BackendGuards = {
              methods: Int32Array.from(routes.map((r) => r.methods)),
              checked: Uint8Array.from(routes.map((r) => (r.checked ? 1 : 0))),
              accept: (r) => (offered.push(r), !routes[r]!.rejected),
            };
            const b = create(shapes, options, guards);
            const present = (r: number) => (routes[r]!.methods & method) !== 0 && !(routes[r]!.checked && routes[r]!.rejected);
            for (const path of paths) {
              const label = `${JSON.stringify(shapes)} ${JSON.stringify(options)} ${method} ${JSON.stringify(path)}`;
              offered.length = 0;
              expect(run({ ...b, lookup: (p: string) => b.lookup(p, method) }, shapes, path), label).toEqual(oracle(shapes, options, path, present)[0] ?? null);
              // Only checked routes are offered, each once, in precedence order.
              expect(new Set(offered).size, label).toBe(offered.length);
              for (const r of offered) expect(routes[r]!.checked).toBe(true);
              const visited: unknown[] = [];
              b.enumerate!(path, (r) => (visited.push(run({ ...b, lookup: () => r }, shapes, path)), false));
              expect(visited, label).toEqual(oracle(shapes, options, path, () => true));
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  });

  describe('agreement with the TypeScript backend on random shapes and paths', () => {
    // Static text is canonical, so ASCII (core.ts); paths are any string.
    const seg = fc.constantFrom('a', 'b', 'ab', 'A', '', ':', ':', '*', '%C3%A9', '%41', '~', 'v1.json');
    const shapeArb = fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.map((x, i) => (x === '*' && i < s.length - 1 ? ':' : x)));
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
            for (const path of paths) {
              expect(run(nb, shapes, path), `${JSON.stringify(shapes)} ${JSON.stringify(options)} ${JSON.stringify(path)}`).toEqual(run(jb, shapes, path));
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
