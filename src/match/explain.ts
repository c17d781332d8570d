/**
 * `explain(router, rawPath, request?)`: why a request goes where it goes. Lists every route
 * whose pattern matches the path, in precedence order, with each variant's verdict on the
 * request (which conditions failed), beside the router's answer. The candidates come from the
 * router's own backend (`enumerate`: the same walk `match` makes, visiting every route slot
 * instead of stopping at the first), so explain cannot disagree with `match`.
 */
import { normalizePath, type NormalizeResult } from '../normalize/path.js';
import type { CompiledRoute, RouteVariant } from '../table/route.js';
import { RequestView, variantAccepts, type FailedCondition } from './conditions.js';
import { segmentKind, type SegmentKind } from './precedence.js';
import type { MatchRequest, RouteMatch, Router } from './types.js';

export interface VariantVerdict {
  variant: RouteVariant;
  /** True when this variant accepts the request. */
  accepted: boolean;
  /** The conditions that failed (empty when accepted). */
  failed: FailedCondition[];
}

export interface Candidate {
  route: CompiledRoute;
  /** How each segment of the path was matched, up to the catch-all. */
  kinds: SegmentKind[];
  params: Record<string, string>;
  remainder?: string;
  /** Each variant's verdict, in array order; the first accepted one serves. */
  variants: VariantVerdict[];
}

export interface Explanation {
  input: string;
  normalized: NormalizeResult;
  /** The router's answer (the first candidate with an accepting variant). */
  winner: RouteMatch | null;
  /** The forwarded URL for the winner. */
  url: string | null;
  /** Every route whose pattern matches the path, in precedence order. */
  candidates: Candidate[];
  /** When nothing matched but some variant failed on methods alone: the methods for `Allow` (405). */
  allow: string[];
}

/** The hook `Router` implementations give explain: every candidate route, in walk order. */
export interface CandidateSource {
  candidates(path: string): { route: CompiledRoute; match: RouteMatch }[];
}

export interface ExplainOptions {
  /** Keep `%2F`/`%5C` opaque inside a segment, as the proxy option of the same name does. */
  allowEncodedSlashes?: boolean;
}

export function explain(router: Router, rawPath: string, request?: MatchRequest, options: ExplainOptions = {}): Explanation {
  const limits = router.options.limits;
  const normalized = normalizePath(rawPath, { maxPathLength: limits.maxPathLength, maxSegments: limits.maxSegments, allowEncodedSlashes: options.allowEncodedSlashes === true });
  if (!normalized.ok) return { input: rawPath, normalized, winner: null, url: null, candidates: [], allow: [] };
  // The query a request carries is the path's own unless the caller says otherwise.
  if (request !== undefined && request.query === undefined) request = { ...request, query: normalized.query };
  const view = request === undefined ? null : new RequestView(request);
  const candidates: Candidate[] = [];
  for (const { route, match } of (router as Router & CandidateSource).candidates(normalized.path)) {
    const kinds = route.shape.map((s, i) => segmentKind(s, route.catchAll && i === route.shape.length - 1));
    const variants = route.variants.map((variant) => {
      const failed: FailedCondition[] = [];
      const accepted = variantAccepts(variant, view, failed);
      return { variant, accepted, failed };
    });
    const c: Candidate = { route, kinds, params: match.params, variants };
    if (match.remainder !== undefined) c.remainder = match.remainder;
    candidates.push(c);
  }
  const winner = router.match(normalized.path, request);
  const allow = winner === null ? router.allowedMethods(normalized.path, request) : [];
  return { input: rawPath, normalized, winner, url: winner ? router.url(winner, normalized.query) : null, candidates, allow };
}
