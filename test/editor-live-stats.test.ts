/**
 * The editor's live statistics (src/editor/live-stats.ts): rates are differences of cumulative
 * snapshots of the admin `/routes` document. The laws: a step's increase is exact while the
 * gateway keeps running, never more than what happened when it restarted in between, never
 * negative, NaN or infinite whatever the numbers; a window's increase is the sum of its steps;
 * shares stay in [0, 1]; percentiles are ordered and inside the histogram's bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketQuantile,
  formatQuantile,
  formatRate,
  formatSeconds,
  formatShare,
  increase,
  parseStats,
  routeDelta,
  routeLive,
  StatsFormatError,
  targetBadge,
  trimHistory,
  windowDelta,
  type StatsSnapshot,
} from '../src/editor/live-stats.js';
import { secondsSetting } from '../src/editor/stats-source.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

interface Counters {
  requests: number;
  s4xx: number;
  s5xx: number;
  secondsSum: number;
  buckets: number[];
}

const zero = (): Counters => ({ requests: 0, s4xx: 0, s5xx: 0, secondsSum: 0, buckets: BOUNDS.map(() => 0).concat(0) });

/** One step of a gateway's life: requests answered (by bucket, with some 5xx and 4xx), and maybe a restart first. */
const step = fc.record({
  restart: fc.boolean(),
  buckets: fc.array(fc.nat(50), { minLength: BOUNDS.length + 1, maxLength: BOUNDS.length + 1 }),
  fail5: fc.double({ min: 0, max: 1, noNaN: true }),
  fail4: fc.double({ min: 0, max: 1, noNaN: true }),
  ms: fc.integer({ min: 1, max: 10_000 }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function advance(c: Counters, s: Step): { next: Counters; happened: number; happened5: number; happened4: number } {
  const base = s.restart ? zero() : c;
  const happened = s.buckets.reduce((a, b) => a + b, 0);
  const happened5 = Math.floor(happened * s.fail5);
  const happened4 = Math.floor((happened - happened5) * s.fail4);
  return {
    next: {
      requests: base.requests + happened,
      s5xx: base.s5xx + happened5,
      s4xx: base.s4xx + happened4,
      secondsSum: base.secondsSum + happened * 0.01,
      buckets: base.buckets.map((n, i) => n + s.buckets[i]!),
    },
    happened,
    happened5,
    happened4,
  };
}

/** The admin `/routes` document for one route with these counters. */
function doc(c: Counters, at: number, pattern = '/a'): unknown {
  return {
    collectedAt: new Date(at).toISOString(),
    backend: 'js',
    routes: [
      {
        precedence: 1,
        pattern,
        variants: [
          {
            index: 0,
            name: pattern,
            methods: null,
            targets: [{ url: 'http://127.0.0.1:1', weight: 1, health: null }],
            counters: {
              requests: c.requests,
              statuses: { '2xx': c.requests - c.s4xx - c.s5xx, '4xx': c.s4xx, '5xx': c.s5xx },
              meanSeconds: c.requests > 0 ? c.secondsSum / c.requests : null,
              secondsSum: c.secondsSum,
              latency: c.requests > 0 ? { boundaries: BOUNDS, counts: c.buckets } : null,
            },
          },
        ],
      },
    ],
  };
}

function timeline(steps: Step[]) {
  let c = zero();
  let at = Date.UTC(2026, 0, 1);
  const snapshots: StatsSnapshot[] = [parseStats(doc(c, at), at)];
  const truth: ReturnType<typeof advance>[] = [];
  for (const s of steps) {
    const a = advance(c, s);
    c = a.next;
    at += s.ms;
    snapshots.push(parseStats(doc(c, at), at + 3));
    truth.push(a);
  }
  return { snapshots, truth };
}

/** Every number in a value (deeply) is finite. */
function allFinite(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFinite);
  if (typeof v === 'object' && v !== null) return Object.values(v).every(allFinite);
  return true;
}

describe('live stats: rates from snapshots (properties)', () => {
  it('increase() is never negative, NaN or infinite, and is the difference of a growing counter', () => {
    const anyNumber = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -1, 0));
    fc.assert(
      fc.property(anyNumber, anyNumber, (a, b) => {
        const d = increase(a, b);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
      }),
    );
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, extra) => {
        expect(increase(a, a + extra)).toBe(extra);
      }),
    );
    // A reset: the counter began again at zero, so all it holds is new.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(), (a, b) => {
        fc.pre(b < a);
        expect(increase(a, b)).toBe(b);
      }),
    );
  });

  it('each step: exact without a restart, at most what happened with one, never negative; parts within the whole', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const { snapshots, truth } = timeline(steps);
        for (let i = 1; i < snapshots.length; i++) {
          const d = routeDelta(snapshots[i - 1]!.routes.get('/a')!, snapshots[i]!.routes.get('/a')!);
          const t = truth[i - 1]!;
          expect(allFinite(d)).toBe(true);
          expect(d.requests).toBeGreaterThanOrEqual(0);
          expect(d.status5xx!).toBeLessThanOrEqual(d.requests);
          expect(d.status4xx!).toBeLessThanOrEqual(d.requests);
          if (!steps[i - 1]!.restart) {
            expect(d.requests).toBe(t.happened);
            expect(d.status5xx).toBe(t.happened5);
            expect(d.status4xx).toBe(t.happened4);
            if (t.happened > 0) expect(d.latency!.counts).toEqual(steps[i - 1]!.buckets);
          } else {
            // A restart the counters cannot show (they grew past their old values) under-counts; it never over-counts.
            expect(d.requests).toBeLessThanOrEqual(t.happened);
          }
          if (d.latency !== null) {
            expect(d.latency.counts.every((n) => n >= 0)).toBe(true);
            expect(d.latency.counts.reduce((a, b) => a + b, 0)).toBe(d.requests);
          }
        }
      }),
      {
        // Found by CI: a restart that leaves `requests` equal but turns a 2xx into a 4xx (only
        // the 2xx count goes down) must read as a reset, or the step shows more 4xx than requests.
        examples: [
          [
            [
              { restart: false, buckets: [0, 0, 0, 0, 0, 0, 0, 0, 2], fail5: 0, fail4: 0, ms: 1 },
              { restart: true, buckets: [0, 0, 0, 0, 0, 0, 0, 0, 2], fail5: 0, fail4: 0.5, ms: 1 },
              { restart: false, buckets: [0, 0, 0, 0, 0, 0, 0, 0, 0], fail5: 0, fail4: 0, ms: 1 },
            ],
          ],
        ],
      },
    );
  });

  it("a window's increase is the sum of its steps (the last minus the first when nothing restarted)", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const { snapshots, truth } = timeline(steps);
        const w = windowDelta(snapshots, '/a')!;
        let sum = 0;
        for (let i = 1; i < snapshots.length; i++) sum += routeDelta(snapshots[i - 1]!.routes.get('/a')!, snapshots[i]!.routes.get('/a')!).requests;
        expect(w.requests).toBe(sum);
        if (steps.every((s) => !s.restart)) {
          expect(w.requests).toBe(truth.reduce((a, t) => a + t.happened, 0));
          expect(w.status5xx).toBe(truth.reduce((a, t) => a + t.happened5, 0));
        }
        expect(allFinite(w)).toBe(true);
      }),
    );
  });

  it('what a row shows is never negative or NaN: rate ≥ 0, shares in [0, 1], p50 ≤ p95 inside the bounds', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 0, maxLength: 12 }), (steps) => {
        const { snapshots, truth } = timeline(steps);
        const live = routeLive(snapshots, '/a')!;
        expect(allFinite(live)).toBe(true);
        if (steps.length === 0) expect(live.perSecond).toBeNull();
        else {
          expect(live.perSecond!).toBeGreaterThanOrEqual(0);
          const last = steps[steps.length - 1]!;
          if (!last.restart) expect(live.perSecond!).toBeCloseTo(truth[truth.length - 1]!.happened / (last.ms / 1000), 6);
        }
        for (const s of [live.share5xx, live.share4xx]) if (s !== null) expect(s >= 0 && s <= 1).toBe(true);
        if (live.p50 !== null && live.p95 !== null) {
          expect(live.p50.seconds).toBeLessThanOrEqual(live.p95.seconds);
          expect(live.p50.seconds).toBeGreaterThanOrEqual(0);
          expect(live.p95.seconds).toBeLessThanOrEqual(BOUNDS[BOUNDS.length - 1]!);
        }
        expect(live.total).toBe(snapshots[snapshots.length - 1]!.routes.get('/a')!.requests);
      }),
    );
  });

  it('quantiles are monotone in q and inside the bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: BOUNDS.length + 1, maxLength: BOUNDS.length + 1 }), fc.double({ min: 0.01, max: 0.98, noNaN: true }), (counts, q) => {
        const h = { boundaries: BOUNDS, counts };
        const a = bucketQuantile(q, h);
        const b = bucketQuantile(q + 0.01, h);
        if (counts.every((n) => n === 0)) {
          expect(a).toBeNull();
          return;
        }
        expect(a!.seconds).toBeLessThanOrEqual(b!.seconds + 1e-12);
        expect(a!.seconds >= 0 && a!.seconds <= 1).toBe(true);
      }),
    );
  });
});

describe('live stats: examples', () => {
  const at = Date.UTC(2026, 0, 1);
  const counters = (requests: number, s5xx: number, s4xx = 0): Counters => ({
    requests,
    s5xx,
    s4xx,
    secondsSum: requests * 0.004,
    buckets: [requests, 0, 0, 0, 0, 0, 0, 0, 0],
  });

  it('a gateway restart between two snapshots reads as the new counts, not a negative rate', () => {
    const before = parseStats(doc(counters(1000, 10), at), at);
    const after = parseStats(doc(counters(30, 3), at + 2000), at + 2000);
    const live = routeLive([before, after], '/a')!;
    expect(live.perSecond).toBe(15);
    expect(live.share5xx).toBeCloseTo(0.1);
    expect(live.total).toBe(30);
  });

  it('20 requests, 5 of them 5xx, over two snapshots: 25% 5xx, 0% 4xx, latency from the buckets', () => {
    const a = parseStats(doc(counters(0, 0), at), at);
    const b = parseStats(doc(counters(20, 5), at + 4000), at + 4000);
    const live = routeLive([a, b], '/a')!;
    expect(live.windowRequests).toBe(20);
    expect(formatShare(live.share5xx!)).toBe('25%');
    expect(formatShare(live.share4xx!)).toBe('0%');
    expect(formatRate(live.perSecond!)).toBe('5 req/s');
    // All in the first bucket (≤ 5 ms): the median interpolates to 2.5 ms.
    expect(formatQuantile(live.p50!)).toBe('~2.5 ms');
  });

  it('a route absent from the earlier snapshot (just saved) starts from a baseline: no burst', () => {
    const a = parseStats(doc(counters(0, 0), at, '/other'), at);
    const b = parseStats(doc(counters(500, 0), at + 2000), at + 2000);
    const live = routeLive([a, b], '/a')!;
    expect(live.perSecond).toBeNull();
    expect(live.windowRequests).toBeNull();
    expect(live.total).toBe(500);
    expect(routeLive([a, b], '/missing')).toBeNull();
  });

  it('without a histogram, the mean over the window; without a sum, the source’s own mean', () => {
    const plain = (requests: number, secondsSum: number | undefined, meanSeconds: number | null) => ({
      collectedAt: null,
      routes: [{ pattern: '/m', variants: [{ counters: { requests, statuses: {}, meanSeconds, ...(secondsSum !== undefined ? { secondsSum } : {}) }, targets: [] }] }],
    });
    const withSum = routeLive([parseStats(plain(10, 0.1, 0.01), at), parseStats(plain(20, 0.5, 0.025), at + 1000)], '/m')!;
    expect(withSum.p50).toBeNull();
    expect(withSum.meanSeconds).toBeCloseTo(0.04);
    expect(formatSeconds(withSum.meanSeconds!)).toBe('40 ms');
    const noSum = routeLive([parseStats(plain(10, undefined, 0.01), at), parseStats(plain(20, undefined, 0.025), at + 1000)], '/m')!;
    expect(noSum.meanSeconds).toBe(0.025);
    // No collectedAt: the interval is the arrival times'.
    expect(noSum.perSecond).toBe(10);
  });

  it('target badges: healthy, unhealthy, ejected (then readmitted when the ejection ends), not checked', () => {
    const since = new Date(at).toISOString();
    expect(targetBadge('http://a', { healthy: true, source: 'active', since }, at).state).toBe('healthy');
    expect(targetBadge('http://a', { healthy: false, source: 'active', since }, at)).toMatchObject({ state: 'unhealthy', detail: 'http://a: unhealthy (active check)' });
    expect(targetBadge('http://a', { healthy: false, source: 'ejection', since, ejectedForMs: 30_000 }, at + 1000).state).toBe('ejected');
    expect(targetBadge('http://a', { healthy: false, source: 'ejection', since, ejectedForMs: 30_000 }, at + 31_000).state).toBe('readmitted');
    expect(targetBadge('http://a', null, at).state).toBe('unchecked');
    // The gateway follows an ejection with a passive health change: still ejected.
    expect(targetBadge('http://a', { healthy: false, source: 'passive', since }, at)).toMatchObject({
      state: 'ejected',
      detail: expect.stringMatching(/^http:\/\/a: ejected after consecutive failures \(passive health\) since /) as unknown,
    });
    expect(targetBadge('http://a', { healthy: true, source: 'passive', since }, at).state).toBe('healthy');
  });

  it('a document of another shape is a clear error, not a crash', () => {
    expect(() => parseStats({ error: 'x' }, at)).toThrow(StatsFormatError);
    expect(() => parseStats('<html>', at)).toThrow(/admin \/routes document \(a JSON object with a "routes" array\)/);
    expect(() => parseStats({ routes: [{ pattern: 1 }] }, at)).toThrow(/Route 1 of the stats document has no "pattern" string/);
    // Nonsense numbers are read as 0, never NaN.
    const odd = parseStats(
      { routes: [{ pattern: '/x', variants: [{ counters: { requests: 'many', statuses: { '5xx': -3 }, latency: { boundaries: [2, 1], counts: [1, 1, 1] } } }] }] },
      at,
    );
    expect(odd.routes.get('/x')).toMatchObject({ requests: 0, status5xx: 0, latency: null });
  });

  it('keeps the window whole and the last two snapshots', () => {
    const snaps = Array.from({ length: 10 }, (_, i) => parseStats(doc(counters(i, 0), at + i * 2000), at + i * 2000));
    const kept = trimHistory(snaps, 5000);
    expect(kept[0]!.collectedAt).toBe(at + 12_000);
    expect(kept.length).toBe(4);
    expect(trimHistory(snaps.slice(0, 2), 1)).toHaveLength(2);
  });

  it('settings: seconds at least the minimum, else the default and why', () => {
    expect(secondsSetting('stats-interval', '5', 2, 0.5)).toEqual({ seconds: 5, problem: null });
    expect(secondsSetting('stats-interval', null, 2, 0.5)).toEqual({ seconds: 2, problem: null });
    expect(secondsSetting('stats-interval', 'soon', 2, 0.5)).toEqual({ seconds: 2, problem: 'stats-interval must be a number of seconds, at least 0.5 (got "soon"); using 2 s' });
    expect(secondsSetting('stats-interval', 0.1, 2, 0.5).problem).toMatch(/at least 0.5/);
  });

  it('formats', () => {
    expect([0, 0.04, 0.5, 2.25, 12.4].map(formatRate)).toEqual(['0 req/s', '0.04 req/s', '0.5 req/s', '2.3 req/s', '12 req/s']);
    expect([0, 0.0004, 0.004, 1 / 3, 1].map(formatShare)).toEqual(['0%', '<0.1%', '0.4%', '33.3%', '100%']);
    expect([0.0008, 0.0123, 1.234].map(formatSeconds)).toEqual(['0.8 ms', '12 ms', '1.23 s']);
    expect(formatQuantile({ seconds: 10, over: true })).toBe('>10 s');
  });
});
