/**
 * The Redis rate-limit store (issue 17) against a real redis-server (a throwaway one:
 * test/support/redis-server.ts): one bucket shared by two stores with their own clients, the
 * token-bucket law against a model, and what happens while Redis is down and after it returns.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BucketSpec, TakeResult } from '../src/policies/rate-limit/store.js';
import { createRedisRateLimitStore, RateLimitStoreError, type RedisRateLimitStore } from '../src/stores/redis.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { sleep } from './support/servers.js';

let redis: RedisServer;
let stores: RedisRateLimitStore[] = [];
const PER_MINUTE_100: BucketSpec = { capacity: 100, refillPerMs: 100 / 60_000 };

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await redis?.destroy();
});

afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function store(prefix = 'test:'): Promise<RedisRateLimitStore> {
  const s = await createRedisRateLimitStore({ url: redis.url, prefix, timeoutMs: 300, onError: () => {} });
  stores.push(s);
  return s;
}

/** Until `take` answers again (the client reconnected). */
async function untilAnswering(s: RedisRateLimitStore, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await s.take('probe', PER_MINUTE_100, Date.now());
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(25);
    }
  }
}

/** The in-memory semantics, as a model: full at first, continuous refill up to capacity, take if enough. */
function modelBucket(bucket: BucketSpec) {
  let tokens = bucket.capacity;
  let ts: number | undefined;
  return (now: number, cost: number) => {
    if (ts === undefined) ts = now;
    if (now > ts) {
      tokens = Math.min(bucket.capacity, tokens + (now - ts) * bucket.refillPerMs);
      ts = now;
    }
    const allowed = tokens >= cost;
    if (allowed) tokens -= cost;
    return { allowed, remaining: allowed ? Math.floor(tokens) : 0 };
  };
}

describe('Redis rate-limit store', () => {
  it('two stores (two clients) share one bucket: 300 takes spread over both get exactly 100 allowed', async () => {
    const [a, b] = [await store(), await store()];
    const now = Date.now();
    // All at one instant of the callers' clock, so that no refill blurs the count.
    // 30 rounds of 10 concurrent takes, 5 through each store: both race on the bucket all along.
    const results: TakeResult[] = [];
    for (let round = 0; round < 30; round++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => (j % 2 === 0 ? a : b).take('route:/api|key:k1', PER_MINUTE_100, now)))));
    }
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    const byStore = [0, 1].map((side) => results.filter((r, i) => i % 2 === side && r.allowed).length);
    expect(byStore[0]! + byStore[1]!).toBe(100);
    expect(byStore.every((n) => n > 0)).toBe(true);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused).toMatchObject({ remaining: 0 });
    // One token every 600 ms; a full bucket again in a minute.
    expect(refused.retryAfterMs).toBe(600);
    expect(refused.resetMs).toBe(60_000);
    // The remaining counts handed out are 99..0, each once.
    expect(
      results
        .filter((r) => r.allowed)
        .map((r) => r.remaining)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('with the real clock, 300 takes over both stores allow 100 plus what refilled meanwhile', async () => {
    const [a, b] = [await store(), await store()];
    const t0 = Date.now();
    const results = [];
    for (let i = 0; i < 300; i++) results.push(await (i % 2 === 0 ? a : b).take('real-clock', PER_MINUTE_100, Date.now()));
    const elapsed = Date.now() - t0;
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeGreaterThanOrEqual(100);
    expect(allowed).toBeLessThanOrEqual(100 + Math.ceil(elapsed * PER_MINUTE_100.refillPerMs));
  });

  it('follows the token-bucket law (property: same answers as the in-memory model)', async () => {
    const s = await store();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ capacity: fc.integer({ min: 1, max: 20 }), perSecond: fc.integer({ min: 1, max: 50 }) }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 500 }), cost: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 25 }),
        async ({ capacity, perSecond }, steps) => {
          const bucket = { capacity, refillPerMs: perSecond / 1_000 };
          const model = modelBucket(bucket);
          const key = `law:${run++}`;
          let now = 1_700_000_000_000;
          for (const { dt, cost } of steps) {
            now += dt;
            const got = await s.take(key, bucket, now, cost);
            const want = model(now, cost);
            expect({ allowed: got.allowed, remaining: got.remaining }).toEqual(want);
            expect(got.resetMs).toBeGreaterThanOrEqual(0);
            expect(got.resetMs).toBeLessThanOrEqual(Math.ceil(capacity / bucket.refillPerMs));
            if (got.allowed) expect(got.retryAfterMs).toBe(0);
            else expect(got.retryAfterMs).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a clock behind the last writer refills nothing (skew never adds tokens)', async () => {
    const s = await store();
    const bucket = { capacity: 2, refillPerMs: 1 };
    expect((await s.take('skew', bucket, 10_000, 2)).allowed).toBe(true);
    expect((await s.take('skew', bucket, 5_000)).allowed).toBe(false);
    expect((await s.take('skew', bucket, 10_001)).allowed).toBe(true);
  });

  it('idle buckets expire (PEXPIRE at the time they would be full), and EVALSHA falls back to EVAL after SCRIPT FLUSH', async () => {
    const s = await store('expiry:');
    const raw = new Redis(redis.url);
    try {
      await s.take('k', { capacity: 10, refillPerMs: 0.01 }, Date.now(), 3); // full again in 300 ms
      const ttl = await raw.pttl('expiry:k');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1_300);
      await raw.script('FLUSH');
      const r = await s.take('k', { capacity: 10, refillPerMs: 0.01 }, Date.now());
      expect(r.allowed).toBe(true);
      expect(await raw.script('EXISTS', (await raw.script('LOAD', 'return 1')) as string)).toEqual([1]);
    } finally {
      raw.disconnect();
    }
  });

  it('refuses a bad bucket or cost with a clear error', async () => {
    const s = await store();
    await expect(s.take('k', { capacity: 0, refillPerMs: 1 }, Date.now())).rejects.toThrow(/capacity must be a positive number/);
    await expect(s.take('k', { capacity: 1, refillPerMs: Number.NaN }, Date.now())).rejects.toThrow(/refillPerMs/);
    await expect(s.take('k', PER_MINUTE_100, Date.now(), -1)).rejects.toThrow(/cost/);
    await expect(createRedisRateLimitStore({ url: 'http://x' })).rejects.toThrow(/redis:\/\//);
    await expect(createRedisRateLimitStore({} as never)).rejects.toThrow(/exactly one of/);
  });

  it('Redis stopped: take rejects promptly (bounded), every time; Redis back: limits hold again', async () => {
    const [a, b] = [await store('outage:'), await store('outage:')];
    expect((await a.take('before', PER_MINUTE_100, Date.now())).allowed).toBe(true);
    await redis.stop();
    const timings: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await expect((i % 2 ? a : b).take('during', PER_MINUTE_100, Date.now())).rejects.toBeInstanceOf(RateLimitStoreError);
      timings.push(performance.now() - t0);
    }
    console.log(`Redis down: take rejected in max ${Math.max(...timings).toFixed(1)} ms (20 takes)`);
    expect(Math.max(...timings)).toBeLessThan(500);
    const t0 = performance.now();
    await redis.start();
    await untilAnswering(a, 10_000);
    await untilAnswering(b, 10_000);
    console.log(`Redis restarted -> both stores answering in ${Math.round(performance.now() - t0)} ms`);
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).take('after', PER_MINUTE_100, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });

  it('a Redis that hangs (SIGSTOP): take rejects after the command timeout, not later', async () => {
    const s = await store('hang:');
    expect((await s.take('k', PER_MINUTE_100, Date.now())).allowed).toBe(true);
    const pid = redis.pid();
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      await expect(s.take('k', PER_MINUTE_100, Date.now())).rejects.toThrow(/timed out|cannot answer/i);
      const ms = performance.now() - t0;
      console.log(`Redis hung: take rejected in ${ms.toFixed(0)} ms (timeoutMs 300)`);
      expect(ms).toBeLessThan(1_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await untilAnswering(s, 5_000);
  });
});
