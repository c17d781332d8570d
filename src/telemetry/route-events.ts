/**
 * The routing step's refusals as routing events (`no-route` for a 404, `method-not-allowed`
 * for a 405), reported by the transports. No dependencies: the portable entry uses it.
 */
import { explain } from '../match/explain.js';
import type { Router } from '../match/types.js';
import type { RouteAnswer } from '../pipeline/route.js';
import { emitSafely, type EventSink } from './events.js';

/** Reports a 404 or 405 the routing step answered as a routing event (`no-route`, `method-not-allowed`). */
export function emitRouteAnswer(events: EventSink | undefined, answer: RouteAnswer, router: Router, target: string, method: string): void {
  if (events === undefined) return;
  if (answer.code === 'route-not-found') {
    emitSafely(events, { type: 'no-route', path: target.split('?')[0]! });
  } else if (answer.code === 'method-not-allowed') {
    const allow = (answer.headers['allow'] ?? '').split(', ').filter((m) => m !== '');
    emitSafely(events, { type: 'method-not-allowed', route: refusedRoute(router, target, method), allow });
  }
}

/** The name of the route whose methods refused the request (a 405 is rare: explaining it is affordable). */
function refusedRoute(router: Router, target: string, method: string): string {
  try {
    const candidate = explain(router, target, { method }).candidates[0];
    if (candidate === undefined) return '';
    return candidate.variants.find((v) => v.variant.methods !== null)?.variant.name ?? candidate.route.pattern;
  } catch {
    return '';
  }
}
