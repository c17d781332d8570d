/**
 * The routing step of the request pipeline (ARCHITECTURE "The spine"), written once for every
 * entry point: the Node proxy and gateway, the fetch handler, the functions runtime and the
 * Fastify, Express and Hono adapters. It normalizes the raw request target with the router's
 * own limits, matches it with the request's method, host, headers and query, and decides:
 *
 * - `forward`: a route takes the request (its match and the normalized query);
 * - `answer`: an error the transport writes as JSON: 400/414 for a path that cannot be routed
 *   (every entry point, so an app behind an adapter never sees `%2F`, `%00` or a 9,000-character
 *   path), and, in a standalone gateway, 405 (with `Allow`) or 404;
 * - `fall-through`: no route takes it and the host has code of its own (the function in the
 *   runtime, the app behind an adapter): nothing is written. A 405 falls through too there,
 *   because the host's code may serve that method (SPEC 10.1).
 *
 * Transport-neutral: it knows requests, not Node or fetch.
 */
import type { MatchRequest, RouteMatch, Router } from '../match/types.js';
import { normalizePath } from '../normalize/path.js';
import { errorBody, ERROR_MESSAGES, type ProxyErrorBody, type ProxyErrorCode } from './errors.js';

/** What the routing step reads of a request besides its target. */
export interface RequestFacts {
  /** The method as sent. */
  method: string;
  /** The host the client asked for (the `Host` header or the URL's authority), or null. */
  host: string | null;
  /** The request's headers, for route conditions (read only when a route has conditions). */
  headers: NonNullable<MatchRequest['headers']>;
}

export interface RouteStepOptions {
  /** Keep `%2F`/`%5C` opaque inside a segment instead of answering 400 (see `normalizePath`). */
  allowEncodedSlashes: boolean;
  /**
   * true: a request no route takes goes to the host's own code (runtime, adapters);
   * false: it is answered 405 or 404 (a standalone gateway).
   */
  fallthrough: boolean;
}

/** An error the transport writes: status, JSON body, and extra headers (`Allow` on a 405). */
export interface RouteAnswer {
  readonly kind: 'answer';
  readonly status: number;
  readonly code: ProxyErrorCode;
  readonly body: ProxyErrorBody;
  /** `{ allow: 'GET, HEAD' }` on a 405; empty otherwise. */
  readonly headers: Readonly<Record<string, string>>;
}

export type RouteDecision =
  | { readonly kind: 'forward'; readonly match: RouteMatch; readonly query: string; /** The normalized path (policies read it). */ readonly path: string }
  | RouteAnswer
  | { readonly kind: 'fall-through' };

const FALL_THROUGH: RouteDecision = Object.freeze({ kind: 'fall-through' });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function answer(status: number, code: ProxyErrorCode, message: string, headers = NO_HEADERS): RouteAnswer {
  return { kind: 'answer', status, code, body: errorBody(code, message, null), headers };
}

/** Routes one request target (`/path?query`, as received) through `router`. Never throws for any input the router accepts. */
export function routeRequest(router: Router, target: string, facts: RequestFacts, options: RouteStepOptions): RouteDecision {
  const limits = router.options.limits;
  const normalized = normalizePath(target, {
    maxPathLength: limits.maxPathLength,
    maxSegments: limits.maxSegments,
    allowEncodedSlashes: options.allowEncodedSlashes,
  });
  if (!normalized.ok) return answer(normalized.status, normalized.code, normalized.message);
  const request: MatchRequest = { method: facts.method, headers: facts.headers, query: normalized.query };
  if (facts.host !== null) request.host = facts.host;
  const match = router.match(normalized.path, request);
  if (match !== null) return { kind: 'forward', match, query: normalized.query, path: normalized.path };
  if (options.fallthrough) return FALL_THROUGH;
  const allowed = router.allowedMethods(normalized.path, request);
  if (allowed.length > 0) return answer(405, 'method-not-allowed', ERROR_MESSAGES['method-not-allowed'], { allow: allowed.join(', ') });
  return answer(404, 'route-not-found', ERROR_MESSAGES['route-not-found']);
}
