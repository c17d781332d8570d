/**
 * Where token buckets live (SPEC 12 `rateLimit`): in process by default, or a shared store
 * (Redis, src/stores/) so that several instances enforce one limit. The contract is one atomic
 * operation per request, so a store can implement it with a single round trip (a Lua script).
 */

/** A bucket's shape: it holds at most `capacity` tokens and gains `refillPerMs` tokens per millisecond. */
export interface BucketSpec {
  readonly capacity: number;
  readonly refillPerMs: number;
}

export interface TakeResult {
  /** True when the tokens were taken (the request may pass). */
  readonly allowed: boolean;
  /** Whole tokens left after this request (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again (for the `RateLimit` header's reset). */
  readonly resetMs: number;
  /** When refused: milliseconds until `cost` tokens are available (for `Retry-After`); 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface RateLimitStore {
  /**
   * Atomically refills bucket `key` to time `now` (ms since the epoch, the caller's clock) and
   * takes `cost` tokens (default 1) if that many are there. A new key starts full. A store that
   * cannot answer rejects the promise: the caller lets the request through (fail open) and
   * counts it (`rate-limit-store-error`).
   */
  take(key: string, bucket: BucketSpec, now: number, cost?: number): Promise<TakeResult>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}
