/**
 * `compile(routes, options)`: validate once, then hand the route shapes (and, for a table with
 * conditions, the guards) to a matching backend. Everything outside the walk (validation, the
 * static fast path, choosing a variant, turning offsets into a match, URL building) lives here
 * once, for every backend.
 */
import { resolveMatchOptions, type BackendChoice, type CompileOptions, type ResolvedMatchOptions } from '../options.js';
import { compileLinearRegex } from '../regex/linear.js';
import type { Routes } from '../table/input.js';
import type { CompiledRoute, LinearRegex, RouteVariant } from '../table/route.js';
import { buildForwardUrl } from '../target/url.js';
import { RoutesValidationError, type RouteIssue } from '../validate/issues.js';
import { analyzeRoutes } from '../validate/validate.js';
import { codegenAvailable } from './codegen-available.js';
import { CODEGEN_ADMISSION, fitsCodegen } from './codegen-lookup.js';
import { firstAccepting, firstVariantFor, methodBit, methodBits, RequestView, variantAccepts, type MethodBits } from './conditions.js';
import { ALL_METHODS, LAZY_METHOD, OTHER_METHOD_BIT, type BackendGuards, type MatcherBackend } from './core.js';
import type { CandidateSource } from './explain.js';
import type { MatchBuilder } from './materialize.js';
import { loadNativeBackend } from './native.js';
import { codegenAfter, tieredBuilder } from './tiering.js';
import { createJsBackend, jsTree } from './tree.js';
import type { MatchRequest, RouteMatch, Router } from './types.js';

/** Which matcher serves a router: generated TypeScript, the TypeScript interpreter, or native code. */
export type Engine = 'generated' | 'interpreter' | 'native';

const EMPTY_REQUEST: MatchRequest = Object.freeze({});

class RouterImpl implements Router, CandidateSource {
  readonly backend: 'js' | 'native';
  /** The request being matched, read by `accept` (set only around a lookup with conditions). */
  private request: MatchRequest | undefined = undefined;
  /** Its view for conditions, reset on the first `accept` of a lookup (one per router, reused). */
  private view: RequestView | null = null;
  private readonly ownView = new RequestView({});
  /** The request's method bit (`methodBit`), set around a lookup with conditions. */
  private bit = 0;
  /** Lookups with conditions under way on this router (more than 1 only when a condition re-enters `match`). */
  private depth = 0;
  /** The variant `accept` chose last, and for which route. */
  private accepted: RouteVariant | null = null;
  private acceptedRoute = -1;
  /** A lazy methods-only lookup (`matchMethods`): its request, its bit once read, and whether it is under way. */
  private pending: MatchRequest | undefined = undefined;
  private pendingBit = LAZY_METHOD;
  private walking = false;

  constructor(
    readonly routes: readonly CompiledRoute[],
    readonly options: ResolvedMatchOptions,
    readonly warnings: readonly RouteIssue[],
    readonly engine: Engine,
    private readonly matcher: MatcherBackend,
    /** Fully static paths answered without a lookup (null where it would not pay; see `compile`). */
    private readonly statics: StaticIndex | null,
    /**
     * Builds a route's match from the lookup's offsets: `materialize` for the first matches,
     * then the generated builder (`tieredBuilder`, ./tiering.ts).
     */
    private build: MatchBuilder,
    /** Null for a table without conditions. */
    private readonly bits: MethodBits | null,
  ) {
    this.backend = matcher.name;
  }

  /**
   * Gives this router a `match` of its own, generated (`new Function`), for the two common
   * cases: a table without conditions, and a methods-only table. It does what `match` and `matchMethods` do, but with call sites of its own: the
   * class's `match` is shared by every router of the process, so its calls to `lookup` and to
   * the builder see every router's targets (js, interpreter, native; several tables) and V8
   * inlines none of them. Elsewhere, and where code generation is unavailable, the class's
   * `match` serves.
   */
  specialize(): void {
    const bits = this.bits;
    if (bits !== null && !bits.methodsOnly) return;
    // A methods-only table reads the method ONCE, first, and turns it into its bit, which the
    // static check, the walk's masks and the variant choice all share: the request is in cache
    // when the router gets it (a server's `req` was just made by the parser), so the early read
    // costs a miss little and saves the hits the lazy read's call mid-walk (notes-lookup.md,
    // "Session 24: fresh request objects"). Reading it before any lookup state exists also makes
    // a `method` getter that calls `match` on this router harmless. `compile` gives such a
    // router's backend no `guards.methodBit`, so the generated walk tests `(b & mask)` alone.
    const read = bits === null ? '' : 'const bit = methodBit(bits, request);';
    const statics =
      this.statics === null
        ? ''
        : `if (path.length < S.longest && S.ends[(path.length << 7) | (path.charCodeAt(path.length - 1) & 127)] === 1) {
  const entry = S.routes.get(path);
  if (entry !== undefined) { const m = ${bits === null ? 'R.staticMatch(entry)' : 'R.staticMatchBit(entry, bit)'}; if (m !== null) return m; }
}`;
    const body =
      bits === null
        ? `const index = M.lookup(path);
return index < 0 ? null : R.build(routes[index], path, O, index);`
        : // matchMethods (see there for why each step).
          `const index = M.lookup(path, bit);
if (index < 0) return null;
const route = routes[index];
const match = R.build(route, path, O, index);
const variants = route.variants;
if (variants.length !== 1) {
  const variant = variants[firstVariantFor(bits.variantMasks[index], bit)];
  if (variant !== variants[0]) {
    match.variant = variant;
    match.target = variant.target;
  }
}
return match;`;
    const source = `"use strict";\nreturn function match(path, request) {\nif (typeof path !== 'string') return null;\n${read}\n${statics}\n${body}\n};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- code generation is the point; the caller checks codegenAvailable() first
    this.match = new Function('R', 'M', 'O', 'S', 'routes', 'bits', 'methodBit', 'firstVariantFor', source)(
      this,
      this.matcher,
      this.matcher.offsets,
      this.statics,
      this.routes,
      bits,
      methodBit,
      firstVariantFor,
    ) as Router['match'];
  }

  /** Replaces the first tier's match builder with the generated one (see `tieredBuilder`). */
  installBuilder(build: MatchBuilder): void {
    this.build = build;
  }

  /** The guards' `accept`: does some variant of this route take the current request? */
  accept(route: number): boolean {
    // The view is reset on first use: a table whose conditions are methods alone never needs one.
    let view = this.view;
    if (view === null && this.request !== undefined && this.request !== null) {
      if (this.depth === 1) {
        view = this.ownView;
        view.reset(this.request);
      } else view = new RequestView(this.request);
      this.view = view;
    }
    const variant = firstAccepting(this.routes[route]!, this.bits!.variantMasks[route]!, this.bit, view);
    this.accepted = variant;
    this.acceptedRoute = route;
    return variant !== null;
  }

  match(path: string, request?: MatchRequest): RouteMatch | null {
    if (typeof path !== 'string') return null;
    // The method is read at most once per call: the static check hands the bit it read (if
    // its route needed one) on to the walk.
    let bit = LAZY_METHOD;
    const statics = this.statics;
    if (statics !== null && path.length < statics.longest && statics.ends[(path.length << 7) | (path.charCodeAt(path.length - 1) & 127)] === 1) {
      const entry = statics.routes.get(path);
      if (entry !== undefined) {
        const bits = this.bits;
        if (bits === null || bits.variantMasks[entry.index]![0] === ALL_METHODS) return this.staticMatch(entry);
        bit = methodBit(bits, request);
        const match = this.staticMatchBit(entry, bit);
        if (match !== null) return match;
      }
    }
    if (this.bits === null) {
      const index = this.matcher.lookup(path);
      return index < 0 ? null : this.build(this.routes[index]!, path, this.matcher.offsets, index);
    }
    if (this.bits.methodsOnly) return this.matchMethods(path, request, this.bits, bit);
    return this.matchWithConditions(path, request, this.bits, bit);
  }

  /**
   * The match for a fully static route found in `statics` whose first variant takes every
   * method (no bits, or its mask ALL_METHODS): the entry's own first variant, no method read.
   */
  staticMatch(entry: StaticEntry): RouteMatch {
    return { pattern: entry.pattern, target: entry.target, params: {}, route: entry.route, variant: entry.variant };
  }

  /**
   * The match for a fully static route found in `statics`, given the request's method bit, or
   * null when no variant of it takes the method (the walk then goes on to the next candidates,
   * and finds the 405 information). The route is the first candidate for its path (static beats
   * parameter and catch-all at every segment, and a route ending at the path's end beats a
   * catch-all there), and the index holds only routes without host, header or query conditions:
   * so when its method mask holds the request's method it wins, with the first variant that
   * holds it, as the walk would decide.
   */
  staticMatchBit(entry: StaticEntry, bit: number): RouteMatch | null {
    const bits = this.bits!;
    const index = entry.index;
    const masks = bits.variantMasks[index]!;
    if (masks[0] === ALL_METHODS) return this.staticMatch(entry);
    if ((bits.methods[index]! & bit) === 0) return null;
    const route = entry.route;
    const variant = route.variants[firstVariantFor(masks, bit)]!;
    return { pattern: entry.pattern, target: variant.target, params: {}, route, variant };
  }

  /**
   * A table whose only conditions are methods: the walk's masks decide alone and `accept` is
   * never called, so no view or variant pass is needed. Where the backend supports it
   * (`lazyMethod`), the request's method is read only when the walk reaches a slot whose mask
   * needs it (`methodBitOfPending`), at most once per call: `known`, the bit the static check
   * already read (LAZY_METHOD: not read). This is the class's path (no code generation); the
   * generated `match` (`specialize`) reads the method first instead, with the same answers.
   */
  private matchMethods(path: string, request: MatchRequest | undefined, bits: MethodBits, known: number): RouteMatch | null {
    const matcher = this.matcher;
    let index: number;
    let bit: number;
    if (matcher.lazyMethod === true && known === LAZY_METHOD) {
      // Reading `method` can run a getter, which could look a path up on this router mid-walk.
      if (this.walking) return this.matchMethodsReentered(path, request, bits);
      this.pending = request;
      this.pendingBit = LAZY_METHOD;
      this.walking = true;
      index = matcher.lookup(path, LAZY_METHOD);
      this.walking = false;
      this.pending = undefined; // keeps no reference to the request
      bit = this.pendingBit;
    } else {
      bit = known !== LAZY_METHOD ? known : methodBit(bits, request);
      index = matcher.lookup(path, bit);
    }
    if (index < 0) return null;
    const route = this.routes[index]!;
    const match = this.build(route, path, matcher.offsets, index);
    const variants = route.variants;
    if (variants.length !== 1) {
      // The slot was taken, so some variant's mask holds the method (read now if the route's
      // mask is every method and the walk did not need it).
      if (bit === LAZY_METHOD) bit = methodBit(bits, request);
      const variant = variants[firstVariantFor(bits.variantMasks[index]!, bit)]!;
      if (variant !== variants[0]) {
        match.variant = variant;
        match.target = variant.target;
      }
    }
    return match;
  }

  /** The guards' `methodBit` for a lazy lookup: the pending request's bit, read once. */
  methodBitOfPending(): number {
    let bit = this.pendingBit;
    if (bit === LAZY_METHOD) {
      bit = methodBit(this.bits!, this.pending);
      this.pendingBit = bit;
    }
    return bit;
  }

  /**
   * `match` called while a lazy lookup reads the request's method (from a `method` getter):
   * the inner lookup runs on the same matcher, so the outer walk's captures and pending
   * request are put back afterwards.
   */
  private matchMethodsReentered(path: string, request: MatchRequest | undefined, bits: MethodBits): RouteMatch | null {
    const offsets = this.matcher.offsets;
    const saved = offsets.slice();
    const { pending, pendingBit } = this;
    this.walking = false;
    try {
      return this.matchMethods(path, request, bits, LAZY_METHOD);
    } finally {
      offsets.set(saved);
      this.pending = pending;
      this.pendingBit = pendingBit;
      this.walking = true;
    }
  }

  private matchWithConditions(path: string, request: MatchRequest | undefined, bits: MethodBits, known: number): RouteMatch | null {
    const depth = this.depth;
    if (depth === 0) {
      this.depth = 1;
      try {
        return this.conditioned(path, request, bits, known);
      } finally {
        this.depth = 0;
        this.request = undefined;
        if (this.view !== null) {
          this.view = null;
          this.ownView.reset(EMPTY_REQUEST); // keeps no reference to the request
        }
      }
    }
    // A condition (a headers function) looked a path up on this router during our walk: the
    // outer lookup's state is put back afterwards, and the inner one uses views of its own.
    // The matcher's capture buffer too: the outer walk has written its route's offsets.
    const { request: outerRequest, view, bit, accepted, acceptedRoute } = this;
    const offsets = this.matcher.offsets;
    const saved = offsets.slice();
    this.depth = depth + 1;
    try {
      return this.conditioned(path, request, bits, known);
    } finally {
      offsets.set(saved);
      this.depth = depth;
      this.request = outerRequest;
      this.view = view;
      this.bit = bit;
      this.accepted = accepted;
      this.acceptedRoute = acceptedRoute;
    }
  }

  private conditioned(path: string, request: MatchRequest | undefined, bits: MethodBits, known: number): RouteMatch | null {
    const bit = known !== LAZY_METHOD ? known : methodBit(bits, request);
    this.bit = bit;
    this.request = request;
    this.view = null;
    this.acceptedRoute = -1;
    const index = this.matcher.lookup(path, bit);
    if (index < 0) return null;
    const route = this.routes[index]!;
    const match = this.build(route, path, this.matcher.offsets, index);
    const variants = route.variants;
    if (variants.length === 1) return match; // the slot was taken, so its only variant accepts
    let variant: RouteVariant | null;
    if (bits.checked[index] === 1) {
      // `accept` chose it during the walk (the last route it accepted is the one returned).
      variant = this.acceptedRoute === index ? this.accepted : firstAccepting(route, bits.variantMasks[index]!, bit, this.view);
    } else {
      // Methods are the only conditions here: the first variant whose mask holds the method.
      variant = variants[firstVariantFor(bits.variantMasks[index]!, bit)]!;
    }
    if (variant !== null && variant !== variants[0]) {
      match.variant = variant;
      match.target = variant.target;
    }
    return match;
  }

  allowedMethods(path: string, request?: MatchRequest): string[] {
    if (this.bits === null || typeof path !== 'string') return [];
    const view = request === undefined || request === null ? null : new RequestView(request);
    const allow = new Set<string>();
    this.enumerate(path, (route) => {
      for (const v of this.routes[route]!.variants) {
        if (v.methods !== null && variantAccepts(v, view, null, true)) for (const m of v.methods) allow.add(m);
      }
      return false;
    });
    return [...allow];
  }

  candidates(path: string): { route: CompiledRoute; match: RouteMatch }[] {
    const out: { route: CompiledRoute; match: RouteMatch }[] = [];
    if (typeof path !== 'string') return out;
    this.enumerate(path, (index) => {
      const route = this.routes[index]!;
      out.push({ route, match: this.build(route, path, this.matcher.offsets, index) });
      return false;
    });
    return out;
  }

  private enumerate(path: string, visit: (route: number) => boolean): void {
    this.matcher.enumerate(path, visit);
  }

  url(match: RouteMatch, query = ''): string {
    return buildForwardUrl(match, query);
  }
}

/**
 * A fully static route is the winner for exactly its own path: it takes the static branch
 * at every segment, which precedence tries first. So a Map answers those paths alone (only
 * routes without host, header or query conditions; a method mask that refuses the request
 * sends the lookup on to the walk, `staticMatch`). A request path is a fresh string whose
 * hash V8 must compute (tens of ns), so the Map is asked only for paths whose length and last
 * character some static route has.
 */
interface StaticIndex {
  routes: Map<string, StaticEntry>;
  /** One more than the longest static path's length. */
  longest: number;
  /**
   * ends[(n << 7) | (c & 127)] === 1 when some static path is n characters long and ends in
   * c: most other paths (parameter values, misses) are turned away by this one read, without
   * hashing the path (on the GitHub methods table, asking the Map on length alone made misses
   * 1.24x slower).
   */
  ends: Uint8Array;
}

/**
 * A static route as its index holds it: what its match copies (pattern, first variant and its
 * target) next to the route, so a static hit reads this one object, allocated with the others
 * at compile time, instead of the route, its `variants` array and that array's elements (three
 * objects scattered over the heap: cache misses on a table of 10,001 routes; notes-lookup.md,
 * "Session 25: the match result").
 */
class StaticEntry {
  readonly index: number;
  readonly pattern: string;
  readonly target: string;
  readonly variant: RouteVariant;
  constructor(readonly route: CompiledRoute) {
    this.index = route.index;
    this.pattern = route.pattern;
    this.variant = route.variants[0]!;
    this.target = this.variant.target;
  }
}

function staticIndex(routes: readonly CompiledRoute[], ignoreTrailingSlash: boolean, bits: MethodBits | null): StaticIndex | null {
  const map = new Map<string, StaticEntry>();
  for (const route of routes) {
    // Host, header and query conditions are left to the walk (`accept`); methods are checked by mask (`staticMatchBit`).
    if (route.shape.some((s) => s.charCodeAt(0) === 0x3a || s === '*') || (bits !== null && bits.checked[route.index] === 1)) continue;
    const path = '/' + route.shape.join('/');
    const entry = new StaticEntry(route);
    map.set(path, entry);
    if (ignoreTrailingSlash && path.length > 1) map.set(path + '/', entry);
  }
  if (map.size === 0) return null;
  let longest = 0;
  for (const path of map.keys()) longest = Math.max(longest, path.length);
  const ends = new Uint8Array((longest + 1) << 7);
  for (const path of map.keys()) ends[(path.length << 7) | (path.charCodeAt(path.length - 1) & 127)] = 1;
  return { routes: map, longest: longest + 1, ends };
}

function readBackendEnv(): BackendChoice | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ROUTING_CORE_BACKEND;
  if (value === undefined || value === '') return undefined;
  if (value === 'js' || value === 'native' || value === 'auto') return value;
  throw new Error(`ROUTING_CORE_BACKEND must be "js", "native" or "auto", not "${value}"`);
}

/**
 * A node holds at most two routes (an end and a catch-all), so a table of more routes than twice
 * the generator's node limit cannot fit it: `auto` then goes to native without building the
 * TypeScript tree only to measure it.
 */
const CODEGEN_MAX_ROUTES = 2 * CODEGEN_ADMISSION.maxNodes;

function regexCompiler(source: string): LinearRegex {
  const compiled = compileLinearRegex(source);
  // Validation has compiled every REGEX with the same engine; failing here is a bug, not input.
  if ('error' in compiled) throw new Error(`Constrained parameter (${source}): ${compiled.error}`);
  return compiled;
}

/**
 * The backend for a table, decided on the real tree: an explicit option, else
 * ROUTING_CORE_BACKEND, else `auto`. `auto` serves generated TypeScript where the runtime
 * allows code generation and the tree fits the generator (there one native crossing costs
 * about what the whole generated lookup costs), and native code elsewhere, which beats the
 * interpreter on every table measured (bench/results/latest.md). The interpreter serves only
 * where neither is possible (no addon, no code generation) or when asked for (`codegen: false`
 * with `backend: 'js'`).
 */
function createBackend(
  shapes: readonly (readonly string[])[],
  resolved: ResolvedMatchOptions,
  options: CompileOptions,
  guards: BackendGuards | null,
  after: number,
): { matcher: MatcherBackend; engine: Engine } {
  const wanted = options.backend ?? readBackendEnv() ?? 'auto';
  const backendOptions = { caseSensitive: resolved.caseSensitive, ignoreTrailingSlash: resolved.ignoreTrailingSlash };
  const codegen = options.codegen !== false && codegenAvailable();
  const js = { ...backendOptions, codegen, codegenAfter: after, compileRegex: regexCompiler };
  const typescript = (tree?: ReturnType<typeof jsTree>) => {
    const matcher = createJsBackend(shapes, js, guards, tree);
    return { matcher, engine: matcher.engine };
  };
  if (wanted === 'js') return typescript();
  if (wanted === 'auto' && codegen && shapes.length <= CODEGEN_MAX_ROUTES) {
    const tree = jsTree(shapes, regexCompiler);
    if (fitsCodegen(tree.root)) return typescript(tree);
  }
  const native = loadNativeBackend();
  if (native.ok) return { matcher: native.create(shapes, backendOptions, guards ?? undefined), engine: 'native' };
  if (wanted === 'native') throw new Error(`The native routing backend was requested but could not load: ${native.reason}`);
  return typescript();
}

/**
 * Validates and compiles a route table. Throws `RoutesValidationError` with every issue.
 * A table of unknown type (parsed JSON) is accepted as is and validated; a typed table must
 * be a `Routes` (or null/undefined: no routes), so TypeScript catches a misspelt field or a non-string target early.
 */
export function compile<T>(routes: unknown extends T ? T : T & (Routes | null | undefined), options: CompileOptions = {}): Router {
  const resolved = resolveMatchOptions(options);
  const analysis = analyzeRoutes(routes, resolved);
  if (!analysis.valid) throw new RoutesValidationError(analysis.errors, analysis.warnings);
  const compiled = analysis.routes;
  const bits = methodBits(compiled);
  const after = codegenAfter(options.codegenAfter);
  // With code generation, `specialize` gives a methods-only table a `match` that reads the
  // method first; only the class's `matchMethods` (no code generation) looks it up lazily.
  const codegen = options.codegen !== false && codegenAvailable();
  let router: RouterImpl | null = null;
  const guards: BackendGuards | null =
    bits === null
      ? null
      : {
          methods: bits.methods,
          checked: bits.checked,
          accept: (route) => router !== null && router.accept(route),
          // Only a methods-only table without code generation looks up lazily (`matchMethods`);
          // `accept` needs the bit up front.
          ...(bits.methodsOnly && !codegen ? { methodBit: () => (router === null ? OTHER_METHOD_BIT : router.methodBitOfPending()) } : {}),
        };
  const { matcher, engine } = createBackend(
    compiled.map((r) => r.shape),
    resolved,
    options,
    guards,
    after,
  );
  // The Map answers static paths without crossing into native code. On a table without
  // conditions the generated TypeScript walk answers them faster than hashing a fresh request
  // string (bench/), so it goes without; on a table with methods the walk's static hit costs
  // about twice the Map's (notes-lookup.md, Session 23).
  const useStatics = resolved.caseSensitive && (matcher.name === 'native' || bits !== null);
  const statics = useStatics ? staticIndex(compiled, resolved.ignoreTrailingSlash, bits) : null;
  router = new RouterImpl(
    compiled,
    resolved,
    analysis.warnings,
    engine,
    matcher,
    statics,
    tieredBuilder(compiled, codegen, after, (b) => router!.installBuilder(b)),
    bits,
  );
  // Reads `R.build` per call, so the tiered builder's swap (installBuilder) reaches it.
  if (codegen) router.specialize();
  return router;
}
