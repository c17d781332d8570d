/**
 * The token bucket (SPEC 12 `rateLimit`) as pure arithmetic on a bucket's state, so every store
 * (in process, Redis's Lua script) computes the same answers. Tokens are fractional: a bucket
 * refilling 100 per minute gains one every 600 ms, not 100 at the top of each minute.
 */
import type { BucketSpec, TakeResult } from './store.js';

export interface BucketState {
  tokens: number;
  /** When `tokens` was last brought up to date (ms since the epoch, the caller's clock). */
  updated: number;
}

const EPSILON = 1e-9;

/** The tokens a bucket holds at `now`. A clock that went backwards (another instance's) adds nothing. */
export function tokensAt(state: BucketState, spec: BucketSpec, now: number): number {
  const elapsed = now > state.updated ? now - state.updated : 0;
  return Math.min(spec.capacity, state.tokens + elapsed * spec.refillPerMs);
}

/** Refills `state` to `now` and takes `cost` tokens if there are that many; mutates `state`. */
export function takeTokens(state: BucketState, spec: BucketSpec, now: number, cost = 1): TakeResult {
  const tokens = tokensAt(state, spec, now);
  state.updated = Math.max(now, state.updated);
  // Within a billionth of a token counts as there: rounding in rate * time must not turn the
  // wait that Retry-After announced into a second refusal.
  const allowed = tokens + EPSILON >= cost;
  state.tokens = allowed ? Math.max(0, tokens - cost) : tokens;
  const missing = spec.capacity - state.tokens;
  return {
    allowed,
    remaining: allowed ? Math.floor(state.tokens) : 0,
    resetMs: missing <= 0 ? 0 : Math.ceil(missing / spec.refillPerMs),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) / spec.refillPerMs),
  };
}

/** A bucket's spec from a route's `rateLimit`: `burst` tokens, `requests` of them per `per` ms. */
export function bucketSpec(limit: { readonly requests: number; readonly per: number; readonly burst: number }): BucketSpec {
  return { capacity: limit.burst, refillPerMs: limit.requests / limit.per };
}
