/**
 * Precedence (SPEC sections 3 and 10.2), the one place it is written down for people: the
 * matchers implement it by the order of their walk (./node.ts invariants), `explain` lists
 * candidates in the order the walk visits them, and this module orders a whole table the same
 * way for display (the CLI, the editor): segment by segment, a route that ends here first,
 * then static, then constrained parameters in code-point order of their REGEX, then the plain
 * parameter, then the catch-all; static segments alphabetically among themselves, so routes
 * that share a prefix stay together. A property test checks that for every path, the first
 * route of this order that matches the path on its own is the one `match` returns.
 */
import type { CompiledRoute } from '../table/route.js';
import { compareCodePoints } from './node.js';

/** How one segment of a pattern matches (`constrained`: `:name(REGEX)`). */
export type SegmentKind = 'static' | 'constrained' | 'param' | 'catchAll';

export function segmentKind(shapeSegment: string, last: boolean): SegmentKind {
  if (shapeSegment === '*' && last) return 'catchAll';
  if (shapeSegment === ':') return 'param';
  if (shapeSegment.charCodeAt(0) === 0x3a) return 'constrained';
  return 'static';
}

const RANK: Record<SegmentKind | 'end', number> = { end: -1, static: 0, constrained: 1, param: 2, catchAll: 3 };

/** Orders two routes of one table as matching prefers them. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.shape.length, b.shape.length);
  for (let i = 0; i < n; i++) {
    const ka = i < a.shape.length ? segmentKind(a.shape[i]!, i === a.shape.length - 1 && a.catchAll) : 'end';
    const kb = i < b.shape.length ? segmentKind(b.shape[i]!, i === b.shape.length - 1 && b.catchAll) : 'end';
    if (ka !== kb) return RANK[ka] - RANK[kb];
    if (ka === 'end') break;
    if (ka === 'static' || ka === 'constrained') {
      const d = compareCodePoints(a.shape[i]!, b.shape[i]!);
      if (d !== 0) return d;
    }
  }
  return a.index - b.index;
}

/** The routes of a table in precedence order (a new array). */
export function routesInPrecedenceOrder(routes: readonly CompiledRoute[]): CompiledRoute[] {
  return [...routes].sort(compareRoutes);
}
