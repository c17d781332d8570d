/**
 * `pickTarget`: the one entry for a transport that sends a single exchange to a route's
 * target (the WebSocket upgrade, a probe-like call): the balancer's choice under the route's
 * health (SPEC 11), and `done(outcome)` to report how the exchange went (in-flight count and
 * passive health). The HTTP proxies use the same pieces inside their attempt loops.
 */
import type { RouteMatch, Router } from '../match/types.js';
import type { CompiledTarget } from '../table/route.js';
import { hashKey, type KeySource } from './hash-key.js';
import { needsState, registryState, type UpstreamRegistry } from './registry.js';
import type { AttemptOutcome } from './route-upstream.js';

export interface PickedTarget {
  readonly target: CompiledTarget;
  /** The target's index in the variant's `targets` (add it to `tried` to prefer another next time). */
  readonly index: number;
  /** Call once: `success` (the upstream answered/upgraded), `failure` (connect error, reset, timeout, 502-504), `neutral` (the client left). */
  done(outcome: AttemptOutcome): void;
}

const NOOP = (): void => {};

/** Picks the target for a request that matched `match` on `router` (scope: the function id in the runtime, else ''). */
export function pickTarget(
  registry: UpstreamRegistry,
  router: Router,
  match: RouteMatch,
  source: KeySource,
  options: { scope?: string; tried?: ReadonlySet<number> } = {},
): PickedTarget {
  const variant = match.variant;
  if (!needsState(variant)) return { target: variant.targets[0]!, index: 0, done: NOOP };
  const up = registryState(registry).route(router, variant, options.scope ?? '');
  const lb = variant.upstream.loadBalancer;
  const key = lb?.kind === 'hash' ? hashKey(lb.key, source) : undefined;
  const index = up.pick(key, options.tried);
  const state = up.begin(index);
  let ended = false;
  return {
    target: state.target,
    index,
    done(outcome) {
      if (ended) return;
      ended = true;
      up.end(state, outcome);
    },
  };
}
