/**
 * The contract between the router and a matching backend (TypeScript or Rust).
 *
 * Everything a backend needs is already decided in TypeScript: patterns are parsed,
 * canonicalized and validated once (src/validate), and a backend receives only route
 * *shapes*. A shape is the list of a pattern's segments where
 *   - a static segment is its canonical text (ASCII; lower-cased when matching is
 *     case-insensitive),
 *   - `":"` is a parameter (named `:id` or anonymous `*` that is not last),
 *   - `"*"` is a catch-all (only ever the last segment).
 * The pattern `/` is the shape `[""]`; `/docs/` is `["docs", ""]` (under
 * `ignoreTrailingSlash` the router has already dropped that trailing `""`).
 * A canonical static segment is never `":"` or `"*"` (those are written `%3A`, `%2A`).
 *
 * A backend answers one question per request, `lookup(path)`: the index of the winning
 * route (SPEC section 3), or -1. It never allocates a result: it writes the winning
 * route's capture offsets into the buffer it owns and exposes as `offsets` (created once per
 * router), in UTF-16 code units of the JavaScript string:
 *   offsets[2i], offsets[2i + 1]  start and end of the i-th parameter value
 *   offsets[2n]                   start of the catch-all remainder (n = the route's params)
 * The router slices the original string with them (src/match/materialize.ts), so both
 * backends share one way of turning offsets into a match.
 *
 * Matching rules a backend implements (and nothing else):
 *   - `lookup` accepts any string and never throws; a path that does not start with `/`
 *     matches nothing.
 *   - The path is split on `/` after its leading `/`. A static segment matches equal text
 *     (ASCII case folded when `caseSensitive` is false); a parameter matches one non-empty
 *     segment; a catch-all matches the rest (zero or more segments). The remainder starts at
 *     the `/` before the catch-all's first segment, or at the end of the path.
 *   - Precedence: at each segment static > parameter > catch-all, depth first, with
 *     backtracking; when the path ends, a route ending there beats a catch-all there.
 *   - `ignoreTrailingSlash`: a path longer than `/` that ends in `/` is matched without that
 *     last `/`; offsets still index the original string, so the remainder keeps it.
 *   - Constrained parameters (`":" + REGEX`, SPEC 10.2) match one non-empty segment whose
 *     every code unit is ASCII and which the REGEX matches whole (RE2 syntax, a linear-time
 *     engine: re2js here, the `regex` crate in Rust). A segment holding a non-ASCII unit (only
 *     possible in a path that was not normalized) matches no constrained parameter, so both
 *     backends agree whatever the input. At one position the order is: static, constrained
 *     parameters in code-point order of their REGEX source, the plain parameter, catch-all.
 *     The result of one REGEX on one segment is computed once per lookup (memo), so many
 *     branches reaching one long segment cost one regex run per distinct REGEX.
 *   - Shapes are distinct (validation rejects equal shapes as `conflict` before any backend
 *     sees them).
 */
export interface MatcherBackend {
  readonly name: 'js' | 'native';
  /**
   * Winning route index or -1; on a hit, capture offsets are in `offsets`. `method` is a
   * one-bit mask (see "Conditions" below); omitted, every method is accepted.
   */
  lookup(path: string, method?: number): number;
  /**
   * Every route whose pattern matches `path` (ignoring methods and conditions), in precedence
   * order: `visit(route)` is called for each with its offsets in `offsets`, and returns true to
   * stop. Returns the route it stopped at, or -1. Same walk as `lookup`, so still linear.
   * Used off the hot path: `explain` and the 405 check.
   */
  enumerate(path: string, visit: (route: number) => boolean): number;
  /** The buffer `lookup` writes into; length >= 2 * maxParams + 1. */
  readonly offsets: Int32Array;
  /**
   * True when `lookup(path, LAZY_METHOD)` is supported: the backend then asks
   * `guards.methodBit()` for the request's bit at the first route slot whose mask must be
   * tested, so a path that reaches no such slot never reads the request (see "Conditions").
   */
  readonly lazyMethod?: boolean;
}

/**
 * Conditions (SPEC 10.1) as a backend sees them, decided in TypeScript (src/match/router.ts):
 *   - `methods[r]`: a bitmask of the request methods for which some variant of route r could
 *     accept (bit k = the k-th method named in the table, bit 30 = any other method; -1 = all).
 *     `lookup(path, bit)` treats a route slot with `(methods[r] & bit) === 0` as absent and
 *     goes on exactly as if that route were not in the table (backtracking included).
 *   - `checked[r] === 1`: route r has a variant with host, header or query conditions. At such
 *     a slot `lookup` asks `accept(r)` (after writing r's offsets); false means absent, as above.
 *     The JS backends call it inline; the native one suspends its walk, returns to JavaScript,
 *     and resumes it on rejection (src/match/native.ts), so the walk is never restarted and a
 *     lookup stays linear however many candidates are rejected.
 * A table without conditions passes no guards, and `lookup(path)` costs what it always did.
 */
export interface BackendGuards {
  readonly methods: Int32Array;
  readonly checked: Uint8Array;
  accept(route: number): boolean;
  /**
   * The request's one method bit, for a lookup passed LAZY_METHOD: asked at the first slot
   * whose mask is not ALL_METHODS, at most once per lookup where the backend keeps the answer
   * (the router caches it, so asking again is cheap). Backends that support it say so with
   * `lazyMethod`; without it, LAZY_METHOD is never passed.
   */
  methodBit?(): number;
}

/** `lookup(path, LAZY_METHOD)`: the method is not read yet (no real bit is 0). */
export const LAZY_METHOD = 0;

/** Bit 30: a method the table never names. */
export const OTHER_METHOD_BIT = 1 << 30;
export const ALL_METHODS = -1;

export interface BackendOptions {
  caseSensitive: boolean;
  ignoreTrailingSlash: boolean;
}

/** Size of the offsets buffer a table needs. */
export function offsetsLength(shapes: readonly (readonly string[])[]): number {
  let max = 0;
  for (const shape of shapes) {
    let n = 0;
    for (const s of shape) if (s.charCodeAt(0) === 0x3a) n++; // ':' or ':' + REGEX
    if (n > max) max = n;
  }
  return 2 * max + 2;
}
