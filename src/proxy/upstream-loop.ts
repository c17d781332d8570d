/** Which requests take the upstream attempt loop (SPEC 11); every other one keeps the single-dispatch fast path. */
import type { RouteMatch } from '../match/types.js';
import { needsState } from '../upstream/registry.js';

/** Several targets, active checks, or any of `retry`, `timeout`, `idleTimeout` on the serving variant. */
export function needsAttemptLoop(match: RouteMatch): boolean {
  const v = match.variant;
  return needsState(v) || v.upstream.retry !== undefined || v.upstream.timeout !== undefined || v.upstream.idleTimeout !== undefined;
}
