import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, validateRoutes, type CompileOptions, type Router, type Routes } from '../src/index.js';
import type { MatcherBackend } from '../src/match/core.js';
import { loadNativeBackend, type NativeLoad } from '../src/match/native.js';

/** The native addon as this process loaded it (or why it did not). */
export const native = loadNativeBackend();
/**
 * Where the addon must load: CI builds it (and sets CI=true and ROUTING_CORE_REQUIRE_NATIVE=1),
 * so there a missing addon fails the run instead of shrinking it.
 */
export const nativeRequired = process.env.CI === 'true' || process.env.ROUTING_CORE_REQUIRE_NATIVE === '1';

/**
 * The matcher configurations every behavioural test runs against: the generated
 * TypeScript matcher (generated at compile time, `codegenAfter: 0`, so every lookup runs the
 * generated code; test/tiering.test.ts covers the default tier-up), its interpreter (what
 * runtimes without code generation get), and the native addon. Where the addon is required but missing, the native entry stays, so its
 * suites fail with compile's "could not load: <reason>".
 */
export const BACKENDS: { name: string; options: CompileOptions }[] = [
  { name: 'js', options: { backend: 'js', codegenAfter: 0 } },
  { name: 'js-interpreter', options: { backend: 'js', codegen: false } },
];
if (native.ok || nativeRequired) BACKENDS.push({ name: 'native', options: { backend: 'native' } });

type LoadedNative = Extract<NativeLoad, { ok: true }>;

/**
 * A suite that needs the native addon. Loaded: it runs, with the addon handed to `factory`.
 * Missing: reported as skipped (vitest still collects it, so `factory` runs with a stand-in
 * whose `create` throws; skipped tests never call it). Missing where it is required: one
 * failing test that carries the load reason.
 */
export function describeNative(name: string, factory: (native: LoadedNative) => void): void {
  if (!native.ok && nativeRequired) {
    const reason = native.reason;
    describe(name, () => {
      it('needs the native addon (required here: CI=true or ROUTING_CORE_REQUIRE_NATIVE=1)', () => {
        expect(native.ok, `The native addon is required here but did not load: ${reason}`).toBe(true);
      });
    });
    return;
  }
  const loaded: LoadedNative = native.ok ? native : { ok: true, create: () => absent(native.reason) };
  describe.skipIf(!native.ok)(name, () => {
    factory(loaded);
  });
}

function absent(reason: string): never {
  throw new Error(`The native addon did not load: ${reason}`);
}

export function routerFor(routes: Record<string, string>, config: { options: CompileOptions }, options: CompileOptions = {}): Router {
  return compile(routes, { ...options, ...config.options });
}

/** A match as plain data, for comparing backends and the oracle. */
export function summary(router: Router, path: string) {
  const m = router.match(path);
  if (!m) return null;
  const params = { ...m.params };
  return m.remainder === undefined ? { pattern: m.pattern, params } : { pattern: m.pattern, params, remainder: m.remainder };
}

/**
 * The law of the validator's per-table sharing (parsed targets, parameter lists): the table
 * `patterns[i] -> targets[i]` gets exactly the issues its routes get one by one, in table
 * order. Returns the table and whether it is valid.
 */
export function expectIssuesOfEachRouteAlone(patterns: readonly string[], targets: readonly string[]): { table: Record<string, string>; valid: boolean } {
  const table = Object.fromEntries(patterns.map((p, i) => [p, targets[i]!]));
  const whole = validateRoutes(table);
  const alone = patterns.map((p, i) => validateRoutes({ [p]: targets[i]! }));
  expect(whole.errors).toEqual(alone.flatMap((r) => r.errors));
  expect(whole.warnings).toEqual(alone.flatMap((r) => r.warnings));
  return { table, valid: whole.valid };
}

/**
 * A backend's raw lookup materialized as a router reads it (src/match/materialize.ts): the
 * route index, the parameter values and, for a catch-all, the remainder; null for no route.
 */
export function lookupParts(backend: MatcherBackend, shapes: string[][], path: string) {
  const r = backend.lookup(path);
  if (r < 0) return null;
  const n = shapes[r]!.filter((s) => s.startsWith(':')).length;
  const o = backend.offsets;
  const params = Array.from({ length: n }, (_, i) => path.slice(o[2 * i], o[2 * i + 1]));
  return shapes[r]!.at(-1) === '*' ? [r, params, path.slice(o[2 * n])] : [r, params];
}

/** The patterns as a table (a target each), without those validation refuses under `options`: what random tables are built from. */
function validTable(patterns: readonly string[], options: CompileOptions): Routes {
  const table = Object.fromEntries(patterns.map((p, i) => [p, `http://h${i}`]));
  const bad = new Set(validateRoutes(table, options).errors.map((e) => e.pattern));
  return Object.fromEntries(Object.entries(table).filter(([p]) => !bad.has(p)));
}

/** The generated lookup answers every path as the interpreter does: the same pattern, params and remainder. */
function expectGeneratedAsInterpreted(table: Routes, options: CompileOptions, paths: readonly string[]): void {
  const generated = compile(table, { ...options, backend: 'js', codegenAfter: 0 });
  const interpreted = compile(table, { ...options, backend: 'js', codegen: false });
  expect(generated.engine).toBe('generated');
  const view = (m: ReturnType<Router['match']>) => (m === null ? null : { pattern: m.pattern, params: { ...m.params }, remainder: m.remainder });
  for (const path of paths) {
    expect(view(generated.match(path)), `${path} in ${JSON.stringify(Object.keys(table))} ${JSON.stringify(options)}`).toEqual(view(interpreted.match(path)));
  }
}

/**
 * The law every emitted form of the generated lookup keeps: on random tables (the valid ones
 * among `patterns`, both case options, with and without `ignoreTrailingSlash`) it answers what the
 * interpreter answers, for a path made from each pattern (`sample`) and for random paths.
 */
export function assertGeneratedAsInterpreted(patterns: fc.Arbitrary<string>, paths: fc.Arbitrary<string>, sample: (pattern: string) => string, numRuns: number): void {
  fc.assert(
    fc.property(
      fc.array(patterns, { minLength: 1, maxLength: 10 }),
      fc.array(paths, { minLength: 1, maxLength: 12 }),
      fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() }),
      (drawn, drawnPaths, options) => {
        const table = validTable(drawn, options);
        if (Object.keys(table).length === 0) return;
        expectGeneratedAsInterpreted(table, options, drawn.map(sample).concat(drawnPaths));
      },
    ),
    { numRuns },
  );
}
