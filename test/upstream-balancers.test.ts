/**
 * SPEC 11 balancers and passive health, on the shared state (no network): weighted
 * round-robin exactness, least-request preferring the less loaded target, consistent hashing's
 * stability under target changes, and the health laws as a fast-check property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { HashRing } from '../src/upstream/hash-ring.js';
import { hashKey } from '../src/upstream/hash-key.js';
import { maxEjected } from '../src/upstream/passive-health.js';
import { RegistryState } from '../src/upstream/registry.js';
import { backoffMs, classifyFailure, mayRetry, retryPolicy } from '../src/upstream/retry.js';

function route(value: unknown) {
  const router = compile({ '/x/*': value } as Record<string, string>, { backend: 'js' });
  const variant = router.routes[0]!.variants[0]!;
  return { router, variant };
}

/** A seeded PRNG (mulberry32) so distributions are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('weighted round-robin (nginx smooth)', () => {
  it('gives each target its weight within 1% over 10,000 picks, interleaved', () => {
    const { router, variant } = route({ targets: [{ url: 'http://a.test', weight: 5 }, { url: 'http://b.test', weight: 3 }, 'http://c.test'] });
    const up = new RegistryState().route(router, variant);
    const counts = [0, 0, 0];
    const seq: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = up.pick(undefined);
      counts[t]!++;
      if (i < 9) seq.push(t);
    }
    const total = 9;
    [5, 3, 1].forEach((w, i) => expect(Math.abs(counts[i]! / 10_000 - w / total)).toBeLessThan(0.01));
    // Smooth: the heavy target never takes all its turns in a row.
    expect(seq).toEqual([0, 1, 0, 2, 0, 1, 0, 1, 0]);
  });
});

describe('least-request (P2C)', () => {
  it('sends fewer requests to a target with requests piling up', () => {
    const { router, variant } = route({ targets: ['http://a.test', 'http://slow.test', 'http://c.test'], loadBalancer: 'least-request' });
    const up = new RegistryState({ random: seeded(7) }).route(router, variant);
    // The slow target holds 10 requests in flight; the others complete at once.
    for (let i = 0; i < 10; i++) up.begin(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) {
      const t = up.pick(undefined);
      counts[t]!++;
      if (t !== 1) up.end(up.begin(t), 'success');
    }
    expect(counts[1]).toBe(0);
    expect(counts[0]! + counts[2]!).toBe(3_000);
  });
});

describe('consistent hashing (ring)', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
  const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `http://t${i}.test`, weight: 1 }));
  const assign = (ring: HashRing) => keys.map((k) => ring.lookup(k, () => true));

  it('keeps every key not taken by an added target, and moves about 1/n when one is removed', () => {
    const before = assign(new HashRing(targets(5)));
    const added = assign(new HashRing(targets(6)));
    let kept = 0;
    let toNew = 0;
    keys.forEach((_, i) => {
      if (added[i] === 5) toNew++;
      else if (added[i] === before[i]) kept++;
    });
    // Keys that did not go to the new target all stay (figure: 100%); the new one takes ~1/6.
    expect(kept / (keys.length - toNew)).toBeGreaterThanOrEqual(0.99);
    expect(toNew / keys.length).toBeGreaterThan(0.12);
    expect(toNew / keys.length).toBeLessThan(0.22);

    // Remove t2 of 5: only its keys move (about 1/5).
    const remaining = targets(5).filter((t) => t.url !== 'http://t2.test');
    const smaller = new HashRing(remaining);
    const removed = keys.map((k) => remaining[smaller.lookup(k, () => true)]!.url);
    const beforeUrls = before.map((i) => `http://t${i}.test`);
    const moved = keys.filter((_, i) => removed[i] !== beforeUrls[i]).length / keys.length;
    console.info(
      `hash ring, 20,000 keys: add a 6th target -> ${((100 * kept) / (keys.length - toNew)).toFixed(2)}% of other keys kept, ${((100 * toNew) / keys.length).toFixed(1)}% to the new one; remove 1 of 5 -> ${(100 * moved).toFixed(1)}% moved`,
    );
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.25);
    keys.forEach((_, i) => {
      if (beforeUrls[i] !== 'http://t2.test') expect(removed[i]).toBe(beforeUrls[i]);
    });
  });

  it('walks past an ejected target, and keys of healthy targets stay put', () => {
    const ring = new HashRing(targets(4));
    const all = assign(ring);
    const without1 = keys.map((k) => ring.lookup(k, (i) => i !== 1));
    keys.forEach((_, i) => {
      if (all[i] !== 1) expect(without1[i]).toBe(all[i]);
      else expect(without1[i]).not.toBe(1);
    });
  });

  it('reads each key kind; a missing key falls back to round-robin', () => {
    const source = { clientAddress: '10.0.0.1', header: (n: string) => ({ 'x-user': 'u1', cookie: 'a=1; sid="s2"' })[n] ?? null, query: 'x=1&q=hello%20w', params: { id: '42' } };
    expect(hashKey('ip', source)).toBe('10.0.0.1');
    expect(hashKey('header:X-User', source)).toBe('u1');
    expect(hashKey('cookie:sid', source)).toBe('s2');
    expect(hashKey('query:q', source)).toBe('hello w');
    expect(hashKey('param:id', source)).toBe('42');
    expect(hashKey('query:none', source)).toBeUndefined();
    const { router, variant } = route({ targets: ['http://a.test', 'http://b.test'], loadBalancer: { hash: 'header:x-user' } });
    const up = new RegistryState().route(router, variant);
    expect(new Set(Array.from({ length: 10 }, () => up.pick('same-key'))).size).toBe(1);
    expect(new Set(Array.from({ length: 10 }, () => up.pick(undefined))).size).toBe(2);
  });
});

describe('passive health: property', () => {
  it('never picks a target out of rotation while one is in; with none in (panic) every target stays usable; the cap holds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 8 }),
        fc.constantFrom('round-robin', 'least-request', 'random', 'hash'),
        fc.integer({ min: 0, max: 100 }),
        // Each step: did the attempt fail, how much time passes, and maybe an active-check verdict flip.
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3_000 }), fc.option(fc.nat(), { nil: undefined })), { minLength: 1, maxLength: 200 }),
        fc.integer(),
        (weights, lb, maxPct, steps, seed) => {
          let clock = 1_000;
          const { router, variant } = route({
            targets: weights.map((weight, i) => ({ url: `http://t${i}.test`, weight })),
            loadBalancer: lb === 'hash' ? { hash: 'ip' } : lb,
            healthCheck: { passive: { consecutiveFailures: 2, baseEjection: '1s', maxEjectedPercent: maxPct } },
          });
          const up = new RegistryState({ now: () => clock, random: seeded(seed) }).route(router, variant);
          const n = weights.length;
          steps.forEach(([fails, advance, flip], step) => {
            clock += advance;
            if (flip !== undefined) up.targets[flip % n]!.activeHealthy = !up.targets[flip % n]!.activeHealthy;
            const i = up.pick(lb === 'hash' ? `k${step}` : undefined);
            expect(i >= 0 && i < n).toBe(true);
            const inRotation = up.targets.map((t) => !t.ejected && t.activeHealthy);
            if (inRotation.some(Boolean)) expect(inRotation[i]).toBe(true);
            // The cap: never more out than maxEjectedPercent allows (at least one when > 0).
            expect(up.targets.filter((t) => t.ejected).length).toBeLessThanOrEqual(maxEjected(n, maxPct));
            up.end(up.begin(i), fails ? 'failure' : 'success');
          });
          // Panic: take every target out; picks still spread over all of them (round-robin is exact).
          for (const t of up.targets) t.activeHealthy = false;
          if (lb === 'round-robin') {
            const seen = new Set(Array.from({ length: weights.reduce((a, b) => a + b, 0) }, () => up.pick(undefined)));
            expect(seen.size).toBe(n);
          } else expect(up.pick('k')).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('panic: with every target out (active checks failing), all are still used', () => {
    const { router, variant } = route({ targets: ['http://a.test', 'http://b.test'] });
    const up = new RegistryState().route(router, variant);
    for (const t of up.targets) t.activeHealthy = false;
    expect(new Set(Array.from({ length: 6 }, () => up.pick(undefined)))).toEqual(new Set([0, 1]));
  });

  it('ejections grow (base x count, capped at 300 s) and end on time', () => {
    let clock = 0;
    const events: unknown[] = [];
    const { router, variant } = route({ targets: ['http://a.test', 'http://b.test'], healthCheck: { passive: { consecutiveFailures: 1, baseEjection: '200s' } } });
    const up = new RegistryState({ now: () => clock, events: { emit: (e) => events.push(e) } }).route(router, variant);
    up.end(up.begin(0), 'failure');
    expect(up.targets[0]!.ejectedUntil).toBe(200_000);
    clock = 200_000;
    expect(up.pick(undefined, new Set([1]))).toBe(0); // back in rotation
    up.end(up.begin(0), 'failure');
    expect(up.targets[0]!.ejectedUntil - clock).toBe(300_000); // 400 s capped at 300 s
    expect(events).toEqual([
      { type: 'ejection', route: '/x/*', target: 'http://a.test', forMs: 200_000 },
      { type: 'health', route: '/x/*', target: 'http://a.test', healthy: false, source: 'passive' },
      { type: 'health', route: '/x/*', target: 'http://a.test', healthy: true, source: 'passive' },
      { type: 'ejection', route: '/x/*', target: 'http://a.test', forMs: 300_000 },
      { type: 'health', route: '/x/*', target: 'http://a.test', healthy: false, source: 'passive' },
    ]);
  });
});

describe('retry policy', () => {
  it('defaults: one connect-failure retry with 2+ targets, none with one', () => {
    expect(retryPolicy(route({ targets: ['http://a.test', 'http://b.test'] }).variant)).toMatchObject({ attempts: 1, onConnectFailure: true, onReset: false });
    expect(retryPolicy(route('http://a.test').variant).attempts).toBe(0);
  });
  it('replays only idempotent methods with held bodies; connect failures any method while unsent', () => {
    const p = retryPolicy(route({ target: 'http://a.test', retry: { attempts: 2, on: ['connect-failure', 'gateway-error'] } }).variant);
    expect(mayRetry(p, 503, 'GET', 1, true, true)).toBe(true);
    expect(mayRetry(p, 503, 'POST', 1, true, true)).toBe(false);
    expect(mayRetry(p, 503, 'PUT', 1, true, false)).toBe(false);
    expect(mayRetry(p, 'connect-failure', 'POST', 1, false, false)).toBe(true);
    expect(mayRetry(p, 'connect-failure', 'POST', 1, true, false)).toBe(false);
    expect(mayRetry(p, 503, 'GET', 3, true, true)).toBe(false);
    expect(mayRetry(p, 'reset', 'GET', 1, true, true)).toBe(false);
  });
  it('backoff: full jitter over 25 ms x 2^n, at most 250 ms', () => {
    expect(backoffMs(1, () => 0.999)).toBeLessThan(25);
    expect(backoffMs(3, () => 0.999)).toBeLessThan(100);
    expect(backoffMs(9, () => 0.999)).toBeLessThan(250);
    expect(backoffMs(9, () => 0)).toBe(0);
  });
  it('classifies transport errors', () => {
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('connect-failure');
    expect(classifyFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }))).toBe('connect-failure');
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('timeout');
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe('reset');
    expect(classifyFailure(new Error('unknown'))).toBe('reset');
  });
});

describe('pickTarget (the entry for other transports, e.g. WebSocket upgrades)', () => {
  it('balances on the shared state and feeds passive health through done()', async () => {
    const { pickTarget } = await import('../src/upstream/pick.js');
    const { createUpstreamRegistry } = await import('../src/upstream/registry.js');
    const router = compile({ '/ws/:room': { targets: ['http://a.test', 'http://b.test'], healthCheck: { passive: { consecutiveFailures: 1 } } } } as never, { backend: 'js' });
    const match = router.match('/ws/1')!;
    const registry = createUpstreamRegistry();
    const source = { clientAddress: null, header: () => null, query: '', params: match.params };
    const first = pickTarget(registry, router, match, source);
    expect(first.target.url).toBe('http://a.test');
    first.done('failure'); // a.test is ejected
    for (let i = 0; i < 4; i++) {
      const p = pickTarget(registry, router, match, source);
      expect(p.target.url).toBe('http://b.test');
      p.done('success');
    }
    registry.close();
  });
});
