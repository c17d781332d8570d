/**
 * `rateLimit` (SPEC 12): a token bucket per route and key; 429 with `Retry-After` when empty;
 * the IETF `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers) on
 * every response of the route. A store that fails lets the request through (fail open) and
 * reports `rate-limit-store-error`: a broken Redis must not take every route down.
 */
import type { RateLimitConfig } from '../../table/route.js';
import { firstValue } from '../../pipeline/headers.js';
import { emitSafely } from '../../telemetry/events.js';
import { policyError } from '../answer.js';
import type { PolicyAnswer, PolicyContext, PolicyEnvironment, PolicyStage } from '../types.js';
import { bucketSpec } from './bucket.js';
import { MemoryRateLimitStore } from './memory-store.js';
import type { TakeResult } from './store.js';

/** The caller's key under a route's `key` rule; a missing header or claim falls back to the address. */
export function rateLimitKey(config: RateLimitConfig, ctx: PolicyContext): string {
  const key = config.key;
  if (key === 'route') return 'route';
  if (key.startsWith('header:')) {
    const v = firstValue(ctx.headers[key.slice(7)]);
    if (v !== undefined) return 'h:' + v;
  } else if (key.startsWith('jwt:')) {
    const v = ctx.claims?.[key.slice(4)];
    if (v !== undefined && v !== null) return 'j:' + (typeof v === 'string' ? v : JSON.stringify(v));
  }
  return 'ip:' + (ctx.clientAddress ?? 'unknown');
}

/** Most client addresses a stage keeps the keys of (see `byAddress`). */
const MAX_ADDRESS_KEYS = 10_000;

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

export function rateLimitStage(config: RateLimitConfig): PolicyStage {
  const spec = bucketSpec(config);
  // The window in which a full bucket's worth is granted: burst tokens at the refill rate.
  const policy = `"default";q=${config.burst};w=${Math.max(1, seconds(config.burst / spec.refillPerMs))}`;
  const answer = (ctx: PolicyContext, env: PolicyEnvironment, key: string, result: TakeResult): PolicyAnswer | undefined => {
    ctx.responseHeaders['ratelimit-policy'] = policy;
    // `trim()` returns the value flattened (it has no surrounding whitespace): a concatenation is a
    // V8 cons string, and Node's header value check (a regexp) on a cons string takes V8's
    // runtime path, ~1.5k instructions per response (session 27), where a flat one runs the
    // compiled regexp directly. Same characters.
    ctx.responseHeaders['ratelimit'] = ('"default";r=' + result.remaining + ';t=' + seconds(result.resetMs)).trim();
    if (result.allowed) return undefined;
    emitSafely(env.events, { type: 'rate-limited', route: ctx.route, key });
    return policyError(429, 'rate-limited', ctx.pattern, { ...ctx.responseHeaders, 'retry-after': String(Math.max(1, seconds(result.retryAfterMs))) });
  };
  // Per client address (the default key): its key and bucket key, built once. A connection's
  // requests bring the same address string, which a Map finds by its cached hash, where a key
  // built per request costs a concatenation and a hash (in the stage and again in the store).
  // Cleared when full, so a flood of addresses cannot grow it.
  const byAddress = config.key === 'ip' ? new Map<string, { readonly route: string; readonly key: string; readonly bucketKey: string }>() : null;
  const keysOf = (ctx: PolicyContext): { readonly route: string; readonly key: string; readonly bucketKey: string } => {
    const address = ctx.clientAddress ?? 'unknown';
    let keys = byAddress!.get(address);
    if (keys === undefined || keys.route !== ctx.route) {
      if (byAddress!.size >= MAX_ADDRESS_KEYS) byAddress!.clear();
      const key = 'ip:' + address;
      keys = { route: ctx.route, key, bucketKey: ctx.route + '\n' + key };
      byAddress!.set(address, keys);
    }
    return keys;
  };
  return (ctx, env) => {
    let key: string;
    let bucketKey: string;
    if (byAddress !== null) ({ key, bucketKey } = keysOf(ctx));
    else {
      key = rateLimitKey(config, ctx);
      bucketKey = ctx.route + '\n' + key;
    }
    const store = env.rateLimitStore;
    const now = env.now();
    // The in-process store answers synchronously: no promise and no closure on the hot path.
    if (store instanceof MemoryRateLimitStore) return answer(ctx, env, key, store.takeSync(bucketKey, spec, now));
    let pending: Promise<TakeResult>;
    try {
      pending = store.take(bucketKey, spec, now);
    } catch (err) {
      pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return pending.then(
      (r) => answer(ctx, env, key, r),
      (err: unknown) => {
        emitSafely(env.events, { type: 'rate-limit-store-error', route: ctx.route, error: err instanceof Error ? err.message : String(err) });
        return undefined;
      },
    );
  };
}
