/**
 * Table-level precedence order (SPEC section 3), for showing a route table the way matching
 * reads it. `comparePrecedence` in src/match/explain.ts orders the candidates for one path;
 * this orders a whole table: segment by segment, a route that ends here first, then static,
 * then parameter, then catch-all; static segments alphabetically among themselves, so routes
 * that share a prefix stay together.
 */
import type { CompiledRoute } from '../match/types.js';

const END = -1;
const STATIC = 0;
const PARAM = 1;
const CATCH_ALL = 2;

function rankOf(route: CompiledRoute, i: number): number {
  const shape = route.shape;
  if (i >= shape.length) return END;
  const s = shape[i]!;
  if (s === '*' && route.catchAll && i === shape.length - 1) return CATCH_ALL;
  if (s === ':' || s === '*') return PARAM;
  return STATIC;
}

export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.shape.length, b.shape.length);
  for (let i = 0; i < n; i++) {
    const ra = rankOf(a, i);
    const rb = rankOf(b, i);
    if (ra !== rb) return ra - rb;
    if (ra === END) break;
    if (ra === STATIC) {
      const sa = a.shape[i]!;
      const sb = b.shape[i]!;
      if (sa !== sb) return sa < sb ? -1 : 1;
    }
  }
  return a.index - b.index;
}

/** The routes of a table in precedence order (a new array). */
export function routesInPrecedenceOrder(routes: readonly CompiledRoute[]): CompiledRoute[] {
  return [...routes].sort(compareRoutes);
}
