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
 *   - Two shapes that are equal conflict: the later one is not inserted and its index is
 *     reported in `conflicts` as the pair [earlier, later].
 */
export interface MatcherBackend {
  readonly name: 'js' | 'native';
  /** Winning route index or -1; on a hit, capture offsets are in `offsets`. */
  lookup(path: string): number;
  /** The buffer `lookup` writes into; length >= 2 * maxParams + 1. */
  readonly offsets: Int32Array;
  /** Pairs [earlier, later] of route indices whose shapes are equal. */
  readonly conflicts: ReadonlyArray<readonly [number, number]>;
}

export interface BackendOptions {
  caseSensitive: boolean;
  ignoreTrailingSlash: boolean;
}

/** Size of the offsets buffer a table needs. */
export function offsetsLength(shapes: readonly (readonly string[])[]): number {
  let max = 0;
  for (const shape of shapes) {
    let n = 0;
    for (const s of shape) if (s === ':') n++;
    if (n > max) max = n;
  }
  return 2 * max + 2;
}
