/**
 * `compile(routes, options)`: validate once, then hand the route shapes to a matching
 * backend. Everything outside `lookup` (validation, the static fast path, turning offsets
 * into a match, URL building) lives here once, for both backends.
 */
import { resolveMatchOptions, type BackendChoice, type CompileOptions, type ResolvedMatchOptions } from '../options.js';
import { buildForwardUrl } from '../target/url.js';
import { RoutesValidationError, type RouteIssue } from '../validate/issues.js';
import { analyzeRoutes } from '../validate/validate.js';
import type { MatcherBackend } from './core.js';
import { codegenAvailable, codegenFits } from './codegen.js';
import { matchBuilder } from './materialize.js';
import { loadNativeBackend } from './native.js';
import { createJsBackend } from './tree.js';
import type { CompiledRoute, RouteMatch, Router } from './types.js';

class RouterImpl implements Router {
  readonly backend: 'js' | 'native';
  constructor(
    readonly routes: readonly CompiledRoute[],
    readonly options: ResolvedMatchOptions,
    readonly warnings: readonly RouteIssue[],
    private readonly matcher: MatcherBackend,
    /** Fully static paths answered without a lookup (null where it would not pay; see `compile`). */
    private readonly statics: StaticIndex | null,
    /** Builds a route's match from the lookup's offsets. */
    private readonly build: (route: CompiledRoute, path: string, offsets: Int32Array) => RouteMatch,
  ) {
    this.backend = matcher.name;
  }

  match(path: string): RouteMatch | null {
    if (typeof path !== 'string') return null;
    const statics = this.statics;
    if (statics !== null && path.length < statics.lengths.length && statics.lengths[path.length] === 1) {
      const route = statics.routes.get(path);
      if (route !== undefined) return { pattern: route.pattern, target: route.target, params: {}, route, variant: route.variants[0]! };
    }
    const index = this.matcher.lookup(path);
    return index < 0 ? null : this.build(this.routes[index]!, path, this.matcher.offsets);
  }

  allowedMethods(): string[] {
    return [];
  }

  url(match: RouteMatch, query = ''): string {
    return buildForwardUrl(match, query);
  }
}

/**
 * A fully static route is the winner for exactly its own path: it takes the static branch
 * at every segment, which precedence tries first. So a Map answers those paths alone. A
 * request path is a fresh string whose hash V8 must compute (tens of ns), so the Map is asked
 * only for paths whose length some static route has.
 */
interface StaticIndex {
  routes: Map<string, CompiledRoute>;
  /** lengths[n] === 1 when some static path is n characters long. */
  lengths: Uint8Array;
}

function staticIndex(routes: readonly CompiledRoute[], ignoreTrailingSlash: boolean): StaticIndex | null {
  const map = new Map<string, CompiledRoute>();
  for (const route of routes) {
    if (route.shape.some((s) => s === ':' || s === '*')) continue;
    const path = '/' + route.shape.join('/');
    map.set(path, route);
    if (ignoreTrailingSlash && path.length > 1) map.set(path + '/', route);
  }
  if (map.size === 0) return null;
  let longest = 0;
  for (const path of map.keys()) longest = Math.max(longest, path.length);
  const lengths = new Uint8Array(longest + 1);
  for (const path of map.keys()) lengths[path.length] = 1;
  return { routes: map, lengths };
}

function readBackendEnv(): BackendChoice | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ROUTING_CORE_BACKEND;
  if (value === undefined || value === '') return undefined;
  if (value === 'js' || value === 'native' || value === 'auto') return value;
  throw new Error(`ROUTING_CORE_BACKEND must be "js", "native" or "auto", not "${value}"`);
}

/**
 * The backend a choice resolves to: an explicit option, else ROUTING_CORE_BACKEND, else auto.
 * `auto` prefers the generated TypeScript matcher where it applies (`preferJs`: a table within
 * the code generator's budget, in a runtime that allows code generation): there one native
 * crossing costs about what the whole generated lookup costs (bench/: 124 ns JS vs 162 ns
 * native on the 130-route GitHub table). Beyond that the native tree wins (278 ns vs 577 ns on
 * 10,000 routes) and beats the interpreter on every table measured.
 */
export function selectBackend(
  choice: BackendChoice | undefined,
  preferJs = false,
): { kind: 'js' } | { kind: 'native'; create: ReturnType<typeof loadNativeBackend> & { ok: true } } {
  const wanted = choice ?? readBackendEnv() ?? 'auto';
  if (wanted === 'js' || (wanted === 'auto' && preferJs)) return { kind: 'js' };
  const native = loadNativeBackend();
  if (native.ok) return { kind: 'native', create: native };
  if (wanted === 'native') {
    throw new Error(`The native routing backend was requested but could not load: ${native.reason}`);
  }
  return { kind: 'js' };
}

/** Validates and compiles a route table. Throws `RoutesValidationError` with every issue. */
export function compile(routes: unknown, options: CompileOptions = {}): Router {
  const resolved = resolveMatchOptions(options);
  const analysis = analyzeRoutes(routes, resolved);
  if (!analysis.valid) throw new RoutesValidationError(analysis.errors, analysis.warnings);
  const shapes = analysis.routes.map((r) => r.shape);
  const backendOptions = { caseSensitive: resolved.caseSensitive, ignoreTrailingSlash: resolved.ignoreTrailingSlash };
  const codegen = options.codegen !== false && codegenAvailable();
  const selected = selectBackend(options.backend, codegen && codegenFits(shapes));
  const matcher = selected.kind === 'native' ? selected.create.create(shapes, backendOptions) : createJsBackend(shapes, { ...backendOptions, codegen });
  // The Map answers static paths without crossing into native code. The TypeScript matchers
  // answer them faster than hashing a fresh request string (measured: bench/), so they go without.
  const useStatics = resolved.caseSensitive && selected.kind === 'native';
  const statics = useStatics ? staticIndex(analysis.routes, resolved.ignoreTrailingSlash) : null;
  return new RouterImpl(analysis.routes, resolved, analysis.warnings, matcher, statics, matchBuilder(analysis.routes, codegen));
}
