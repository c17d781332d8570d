import type { ResolvedMatchOptions } from '../options.js';
import type { CompiledRoute, RouteVariant } from '../table/route.js';
import type { RouteIssue } from '../validate/issues.js';

export type { CompiledRoute, RouteVariant } from '../table/route.js';

/**
 * Request headers as `match` reads them: a fetch `Headers`, a Node headers record (names
 * lower-case, repeated lines as arrays), or a function that returns one header's value.
 */
export type HeadersLike = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>> | ((name: string) => string | null | undefined);

/** What route conditions (SPEC 10.1) read of a request. Every field is optional. */
export interface MatchRequest {
  /** The request method (`GET`, ...). */
  method?: string;
  /** The `Host` header (a port is ignored). */
  host?: string;
  headers?: HeadersLike;
  /** The raw query string, without `?`. */
  query?: string;
}

/** What `router.match(path)` returns for a hit (SPEC section 5). */
export interface RouteMatch {
  /** The pattern as written in the table. */
  pattern: string;
  /** The serving variant's first target as written. */
  target: string;
  /** Percent-decoded parameter values by name. */
  params: Record<string, string>;
  /** For a catch-all route: the rest of the path, still encoded (`/42/orders`, `/` or ``). */
  remainder?: string;
  /** The compiled route, for building the forwarded URL on demand. */
  route: CompiledRoute;
  /** The variant that accepted the request (SPEC 10.1): the route's only one for a string value. */
  variant: RouteVariant;
}

export interface Router {
  /** Which matcher serves this router. */
  readonly backend: 'js' | 'native';
  /**
   * Which matcher serves: generated TypeScript, the TypeScript interpreter, or native code.
   * `generated` is reported from compile on, though the interpreter serves the first
   * `codegenAfter` lookups (tiering: src/match/tiering.ts).
   */
  readonly engine: 'generated' | 'interpreter' | 'native';
  /** The routes in table order. */
  readonly routes: readonly CompiledRoute[];
  /** The options the table was compiled with. */
  readonly options: ResolvedMatchOptions;
  /** Validation warnings of the table. */
  readonly warnings: readonly RouteIssue[];
  /**
   * The winning route for a normalized path (see `normalizePath`) and, when given, the
   * request its conditions read (SPEC 10.1), or null. Without `request`, only variants without
   * conditions are considered. Never throws.
   */
  match(path: string, request?: MatchRequest): RouteMatch | null;
  /**
   * After `match` returned null: the methods that would have matched (for a 405 and its
   * `Allow` header), or an empty array when no pattern failed on `methods` alone.
   */
  allowedMethods(path: string, request?: MatchRequest): string[];
  /** The forwarded URL for a match and the request's query (without `?`). */
  url(match: RouteMatch, query?: string): string;
}
