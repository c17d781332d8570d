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
import { codegenAvailable } from './codegen.js';
import { matchBuilders } from './materialize.js';
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
    private readonly statics: Map<string, CompiledRoute> | null,
    /** Builds the match of route i from the lookup's offsets. */
    private readonly builders: ((path: string, offsets: Int32Array) => RouteMatch)[],
  ) {
    this.backend = matcher.name;
  }

  match(path: string): RouteMatch | null {
    if (typeof path !== 'string') return null;
    if (this.statics !== null) {
      const route = this.statics.get(path);
      if (route !== undefined) return { pattern: route.pattern, target: route.target, params: {}, route };
    }
    const index = this.matcher.lookup(path);
    return index < 0 ? null : this.builders[index]!(path, this.matcher.offsets);
  }

  url(match: RouteMatch, query = ''): string {
    return buildForwardUrl(match, query);
  }
}

/**
 * A fully static route is the winner for exactly its own path: it takes the static branch
 * at every segment, which precedence tries first. So a Map answers those paths alone.
 */
function staticIndex(routes: readonly CompiledRoute[], ignoreTrailingSlash: boolean): Map<string, CompiledRoute> {
  const map = new Map<string, CompiledRoute>();
  for (const route of routes) {
    if (route.shape.some((s) => s === ':' || s === '*')) continue;
    const path = '/' + route.shape.join('/');
    map.set(path, route);
    if (ignoreTrailingSlash && path.length > 1) map.set(path + '/', route);
  }
  return map;
}

function readBackendEnv(): BackendChoice | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ROUTING_CORE_BACKEND;
  if (value === undefined || value === '') return undefined;
  if (value === 'js' || value === 'native' || value === 'auto') return value;
  throw new Error(`ROUTING_CORE_BACKEND must be "js", "native" or "auto", not "${value}"`);
}

/** The backend a choice resolves to: an explicit option, else ROUTING_CORE_BACKEND, else auto. */
export function selectBackend(choice: BackendChoice | undefined): { kind: 'js' } | { kind: 'native'; create: ReturnType<typeof loadNativeBackend> & { ok: true } } {
  const wanted = choice ?? readBackendEnv() ?? 'auto';
  if (wanted === 'js') return { kind: 'js' };
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
  const selected = selectBackend(options.backend);
  const matcher = selected.kind === 'native' ? selected.create.create(shapes, backendOptions) : createJsBackend(shapes, { ...backendOptions, codegen });
  // The Map answers static paths without crossing into native code; the generated JS
  // matcher answers them faster than hashing a fresh request string, so it goes without.
  const useStatics = resolved.caseSensitive && (selected.kind === 'native' || !codegen);
  const statics = useStatics ? staticIndex(analysis.routes, resolved.ignoreTrailingSlash) : null;
  return new RouterImpl(analysis.routes, resolved, analysis.warnings, matcher, statics, matchBuilders(analysis.routes, codegen));
}
