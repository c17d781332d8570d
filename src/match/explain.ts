/**
 * `explain(router, rawPath)`: why a path goes where it goes. Lists every route that matches
 * the path on its own, in precedence order (SPEC section 3), beside the router's answer.
 * Diagnostic, not a hot path: it tries each route separately, segment by segment.
 */
import { normalizePath, type NormalizeResult } from '../normalize/path.js';
import { foldAscii } from '../validate/pattern.js';
import type { CompiledRoute, RouteMatch, Router } from './types.js';

export type SegmentKind = 'static' | 'param' | 'catchAll';

export interface Candidate {
  route: CompiledRoute;
  /** How each segment of the path was matched, up to the catch-all. */
  kinds: SegmentKind[];
  params: Record<string, string>;
  remainder?: string;
}

export interface Explanation {
  input: string;
  normalized: NormalizeResult;
  /** The router's answer; always the first candidate. */
  winner: RouteMatch | null;
  /** The forwarded URL for the winner. */
  url: string | null;
  candidates: Candidate[];
}

const RANK: Record<SegmentKind | 'end', number> = { end: -1, static: 0, param: 1, catchAll: 2 };

function rankOf(c: Candidate): number[] {
  const r = c.kinds.map((k) => RANK[k]);
  if (!c.route.catchAll) r.push(RANK.end);
  return r;
}

/** Lexicographic by segment kind: static < param < catch-all, and a route ending first beats a catch-all. */
export function comparePrecedence(a: Candidate, b: Candidate): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return ra.length - rb.length;
}

function tryRoute(route: CompiledRoute, path: string, options: Router['options']): Candidate | null {
  let end = path.length;
  if (options.ignoreTrailingSlash && end > 1 && path.endsWith('/')) end--;
  const segments = path.slice(1, end).split('/');
  const kinds: SegmentKind[] = [];
  const params: Record<string, string> = {};
  let pos = 0; // characters of `path` consumed
  let p = 0;
  for (let i = 0; i < route.shape.length; i++) {
    const want = route.shape[i]!;
    if (want === '*') {
      kinds.push('catchAll');
      return { route, kinds, params, remainder: path.slice(pos) };
    }
    if (i >= segments.length) return null;
    const seg = segments[i]!;
    if (want === ':') {
      if (seg === '') return null;
      let value = seg;
      try {
        value = decodeURIComponent(seg);
      } catch { /* kept as sent */ }
      params[route.paramNames[p++]!] = value;
      kinds.push('param');
    } else {
      if ((options.caseSensitive ? seg : foldAscii(seg)) !== want) return null;
      kinds.push('static');
    }
    pos += 1 + seg.length;
  }
  return segments.length === route.shape.length ? { route, kinds, params } : null;
}

export function explain(router: Router, rawPath: string): Explanation {
  const normalized = normalizePath(rawPath, { maxPathLength: router.options.limits.maxPathLength, maxSegments: router.options.limits.maxSegments });
  if (!normalized.ok) return { input: rawPath, normalized, winner: null, url: null, candidates: [] };
  const candidates: Candidate[] = [];
  for (const route of router.routes) {
    const c = tryRoute(route, normalized.path, router.options);
    if (c) candidates.push(c);
  }
  candidates.sort(comparePrecedence);
  const winner = router.match(normalized.path);
  return { input: rawPath, normalized, winner, url: winner ? router.url(winner, normalized.query) : null, candidates };
}
