import type { ResolvedMatchOptions } from '../options.js';
import type { TargetTemplate } from '../target/template.js';
import type { RouteIssue } from '../validate/issues.js';

/** One route of a compiled table. */
export interface CompiledRoute {
  /** Position in the table as written. */
  readonly index: number;
  /** The pattern as written in the table. */
  readonly pattern: string;
  /** The canonical pattern (`/caf%C3%A9`, `/users/:id/*`). */
  readonly canonical: string;
  /** The target as written in the table. */
  readonly target: string;
  /** Parameter names in path order; anonymous `*` segments are "0", "1", ... */
  readonly paramNames: readonly string[];
  /** True when the pattern ends in a catch-all `/*`. */
  readonly catchAll: boolean;
  /** What the matchers see (src/match/core.ts). */
  readonly shape: readonly string[];
  readonly template: TargetTemplate;
}

/** What `router.match(path)` returns for a hit (SPEC section 5). */
export interface RouteMatch {
  /** The pattern as written in the table. */
  pattern: string;
  /** Its target as written. */
  target: string;
  /** Percent-decoded parameter values by name. */
  params: Record<string, string>;
  /** For a catch-all route: the rest of the path, still encoded (`/42/orders`, `/` or ``). */
  remainder?: string;
  /** The compiled route, for building the forwarded URL on demand. */
  route: CompiledRoute;
}

export interface Router {
  /** Which matcher serves this router. */
  readonly backend: 'js' | 'native';
  /** The routes in table order. */
  readonly routes: readonly CompiledRoute[];
  /** The options the table was compiled with. */
  readonly options: ResolvedMatchOptions;
  /** Validation warnings of the table. */
  readonly warnings: readonly RouteIssue[];
  /** The winning route for a normalized path (see `normalizePath`), or null. Never throws. */
  match(path: string): RouteMatch | null;
  /** The forwarded URL for a match and the request's query (without `?`). */
  url(match: RouteMatch, query?: string): string;
}
