/**
 * `createRedisRateLimitStore`: token buckets in Redis (SPEC 12 `rateLimit`), so that every
 * instance of a gateway or runtime enforces one limit per route and key. One round trip per
 * request: EVALSHA of the bucket script (./token-bucket-script.ts), EVAL when Redis does not
 * have it cached yet (after a restart or SCRIPT FLUSH).
 *
 * When Redis cannot answer (down, unreachable, slower than `timeoutMs`) `take` rejects at once,
 * commands are never queued for later, and the caller fails open (and counts it). The client
 * reconnects by itself, with backoff.
 */
import { createHash } from 'node:crypto';
import type { BucketSpec, RateLimitStore, TakeResult } from '../policies/rate-limit/store.js';
import { createRedisClient, type RedisClientLike } from './redis-client.js';
import { TOKEN_BUCKET_LUA } from './token-bucket-script.js';

export interface RedisRateLimitStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`: the store makes (and closes) its own client. Or: */
  url?: string;
  /**
   * An ioredis client (anything with `evalsha`/`eval` of the same shape). Yours to configure:
   * give it `enableOfflineQueue: false` and a `commandTimeout`, or a down Redis makes requests wait.
   */
  client?: RedisClientLike;
  /** Prepended to every bucket key. Default `af:rl:`. */
  prefix?: string;
  /** A command that takes longer fails (ms). Default 500. Own client only. */
  timeoutMs?: number;
  /** Connection problems (the client reconnects by itself). Default: console.warn, at most once per 10 s. */
  onError?: (err: unknown) => void;
}

export interface RedisRateLimitStore extends RateLimitStore {
  close(): Promise<void>;
  /** The client, for health checks. */
  readonly client: RedisClientLike;
}

export class RateLimitStoreError extends Error {
  readonly code = 'ERR_RATE_LIMIT_STORE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RateLimitStoreError';
  }
}

const SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

function checkBucket(bucket: BucketSpec, now: number, cost: number): void {
  if (!(Number.isFinite(bucket?.capacity) && bucket.capacity > 0)) throw new RangeError(`Rate limit bucket capacity must be a positive number, got ${String(bucket?.capacity)}`);
  if (!(Number.isFinite(bucket.refillPerMs) && bucket.refillPerMs > 0)) throw new RangeError(`Rate limit refillPerMs must be a positive number, got ${String(bucket.refillPerMs)}`);
  if (!Number.isFinite(now)) throw new RangeError(`take(): now must be a time in ms, got ${String(now)}`);
  if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`take(): cost must be a number >= 0, got ${String(cost)}`);
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

export async function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): Promise<RedisRateLimitStore> {
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new TypeError('createRedisRateLimitStore needs exactly one of `url` (redis://host:port) or `client` (an ioredis client)');
  }
  const prefix = options.prefix ?? 'af:rl:';
  let lastWarning = 0;
  const onError =
    options.onError ??
    ((err: unknown) => {
      const now = Date.now();
      if (now - lastWarning < 10_000) return;
      lastWarning = now;
      console.warn(`[routing-core] Redis rate-limit store: ${err instanceof Error ? err.message : String(err)} (requests pass unlimited until it is back)`);
    });
  const own = options.client === undefined;
  const client = options.client ?? (await createRedisClient(options.url!, { timeoutMs: options.timeoutMs ?? 500, onError }));

  return {
    client,
    async take(key: string, bucket: BucketSpec, now: number, cost = 1): Promise<TakeResult> {
      checkBucket(bucket, now, cost);
      const args = [String(bucket.capacity), String(bucket.refillPerMs), String(now), String(cost)];
      const redisKey = prefix + key;
      let reply: unknown;
      try {
        try {
          reply = await client.evalsha(SHA, 1, redisKey, ...args);
        } catch (err) {
          if (!isNoScript(err)) throw err;
          reply = await client.eval(TOKEN_BUCKET_LUA, 1, redisKey, ...args);
        }
      } catch (err) {
        throw new RateLimitStoreError(`Redis rate-limit store cannot answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (!Array.isArray(reply) || reply.length !== 2) throw new RateLimitStoreError(`Redis rate-limit store: unexpected script reply ${JSON.stringify(reply)}`);
      const allowed = Number(reply[0]) === 1;
      const tokens = Number(reply[1]);
      const { capacity, refillPerMs } = bucket;
      return {
        allowed,
        remaining: allowed ? Math.floor(tokens) : 0,
        resetMs: Math.ceil((capacity - tokens) / refillPerMs),
        retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens) / refillPerMs),
      };
    },
    async close() {
      if (own) await client.quit().catch(() => client.disconnect());
    },
  };
}
