/**
 * Live statistics of a running gateway, as the editor shows them beside each route: pure
 * functions over snapshots of the admin `/routes` document (docs/operations.md), with no DOM
 * and no timers (./stats-source.ts polls; ./live-view.ts renders).
 *
 * The document's counters are cumulative since the gateway started, so everything live is a
 * difference of two snapshots: requests per second over the last two, error shares and latency
 * percentiles over a window of several. A counter that goes down means the gateway restarted
 * (its counters began again at zero): the increase across that step is then the new value
 * itself, as Prometheus' `rate()` treats a reset, so a rate is never negative.
 */

export interface LatencyBuckets {
  /** Upper bounds in seconds, ascending. */
  boundaries: number[];
  /** Requests per bucket; one more than `boundaries` (the last is above the last bound). */
  counts: number[];
}

export type TargetState = 'healthy' | 'ejected' | 'unhealthy' | 'readmitted' | 'unchecked';

export interface TargetBadge {
  url: string;
  state: TargetState;
  /** The state in a sentence (the badge's title). */
  detail: string;
}

/** One route (a pattern, all its variants summed) in one snapshot; cumulative counts. */
export interface RouteSample {
  requests: number;
  /** Null when the source gives no status classes. */
  status4xx: number | null;
  status5xx: number | null;
  /** Sum of request durations (s), when the source gives it. */
  secondsSum: number | null;
  /** The source's own mean since it started (s): the fallback when there is no sum. */
  meanSeconds: number | null;
  latency: LatencyBuckets | null;
  targets: TargetBadge[];
}

export interface StatsSnapshot {
  /** The source's collection time (ms since the epoch), when it says; else null. */
  collectedAt: number | null;
  /** When this page received it (ms since the epoch). */
  receivedAt: number;
  /** By pattern. */
  routes: Map<string, RouteSample>;
}

/** The document is not the shape of the admin `/routes` endpoint. */
export class StatsFormatError extends Error {
  override name = 'StatsFormatError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A count as the source gave it: a finite, non-negative number, else 0 (never NaN downstream). */
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

function parseBuckets(v: unknown): LatencyBuckets | null {
  if (!isObject(v) || !Array.isArray(v.boundaries) || !Array.isArray(v.counts)) return null;
  const boundaries = v.boundaries;
  const counts = v.counts;
  if (counts.length !== boundaries.length + 1 || boundaries.length === 0) return null;
  if (!boundaries.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > (boundaries[i - 1] as number)))) return null;
  return { boundaries: boundaries as number[], counts: counts.map(count) };
}

const SEVERITY: Record<TargetState, number> = { unchecked: 0, healthy: 1, readmitted: 2, unhealthy: 3, ejected: 4 };

/** A target's health entry of the document (`{ healthy, source, since, ejectedForMs }` or null) as a badge. */
export function targetBadge(url: string, health: unknown, now: number): TargetBadge {
  if (!isObject(health)) return { url, state: 'unchecked', detail: `${url}: no health check or failure seen yet` };
  const source = typeof health.source === 'string' ? health.source : 'unknown';
  const since = typeof health.since === 'string' ? Date.parse(health.since) : NaN;
  if (source === 'ejection') {
    const forMs = count(health.ejectedForMs);
    const until = since + forMs;
    if (Number.isFinite(until) && until > now) {
      return { url, state: 'ejected', detail: `${url}: ejected after consecutive failures, for ${Math.round(forMs / 1000)} s (until ${new Date(until).toLocaleTimeString()})` };
    }
    return { url, state: 'readmitted', detail: `${url}: was ejected after consecutive failures; the ejection has ended and it takes requests again` };
  }
  if (health.healthy === true) return { url, state: 'healthy', detail: `${url}: healthy (${source} check)` };
  // Passive health is outlier ejection: a target it finds unhealthy is out of the balancer
  // until its ejection ends (the gateway reports the ejection, then this health change).
  if (source === 'passive') {
    const at = Number.isFinite(since) ? ` since ${new Date(since).toLocaleTimeString()}` : '';
    return { url, state: 'ejected', detail: `${url}: ejected after consecutive failures (passive health)${at}` };
  }
  return { url, state: 'unhealthy', detail: `${url}: unhealthy (${source} check)` };
}

/**
 * A snapshot from the admin `/routes` JSON. Lenient about what it does not need (a missing
 * histogram falls back to the mean), strict about the shape it does: anything else is a
 * StatsFormatError saying what was expected.
 */
export function parseStats(doc: unknown, receivedAt: number): StatsSnapshot {
  if (!isObject(doc) || !Array.isArray(doc.routes)) {
    throw new StatsFormatError('The stats source did not answer with the admin /routes document (a JSON object with a "routes" array)');
  }
  const collected = typeof doc.collectedAt === 'string' ? Date.parse(doc.collectedAt) : typeof doc.collectedAt === 'number' ? doc.collectedAt : NaN;
  const collectedAt = Number.isFinite(collected) ? collected : null;
  const now = collectedAt ?? receivedAt;
  const routes = new Map<string, RouteSample>();
  for (const [i, route] of doc.routes.entries()) {
    if (!isObject(route) || typeof route.pattern !== 'string' || !Array.isArray(route.variants)) {
      throw new StatsFormatError(`Route ${i + 1} of the stats document has no "pattern" string and "variants" array`);
    }
    const sample: RouteSample = { requests: 0, status4xx: null, status5xx: null, secondsSum: null, meanSeconds: null, latency: null, targets: [] };
    let bucketsUsable = true;
    let meanWeighted = 0;
    let meanRequests = 0;
    const badges = new Map<string, TargetBadge>();
    for (const variant of route.variants) {
      if (!isObject(variant)) continue;
      const c = isObject(variant.counters) ? variant.counters : {};
      const requests = count(c.requests);
      sample.requests += requests;
      if (isObject(c.statuses)) {
        sample.status4xx = (sample.status4xx ?? 0) + count(c.statuses['4xx']);
        sample.status5xx = (sample.status5xx ?? 0) + count(c.statuses['5xx']);
      }
      const sum = finiteOrNull(c.secondsSum);
      if (sum !== null) sample.secondsSum = (sample.secondsSum ?? 0) + sum;
      const mean = finiteOrNull(c.meanSeconds);
      if (mean !== null) {
        meanWeighted += mean * requests;
        meanRequests += requests;
      }
      const buckets = parseBuckets(c.latency);
      // A variant without requests has no histogram yet: it adds nothing, it does not spoil the sum.
      if (buckets === null) {
        if (requests > 0) bucketsUsable = false;
      } else if (sample.latency === null) sample.latency = { boundaries: [...buckets.boundaries], counts: [...buckets.counts] };
      else if (sameBoundaries(sample.latency.boundaries, buckets.boundaries)) sample.latency.counts = sample.latency.counts.map((n, j) => n + buckets.counts[j]!);
      else bucketsUsable = false;
      for (const t of Array.isArray(variant.targets) ? variant.targets : []) {
        if (!isObject(t) || typeof t.url !== 'string') continue;
        const badge = targetBadge(t.url, t.health, now);
        const have = badges.get(t.url);
        // One target in several variants: its worst state shows.
        if (have === undefined || SEVERITY[badge.state] > SEVERITY[have.state]) badges.set(t.url, badge);
      }
    }
    if (!bucketsUsable) sample.latency = null;
    sample.meanSeconds = meanRequests > 0 ? meanWeighted / meanRequests : null;
    sample.targets = [...badges.values()];
    routes.set(route.pattern, sample);
  }
  return { collectedAt, receivedAt, routes };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------------------
// Differences

/**
 * How much a cumulative counter grew from `before` to `after`: the difference, or `after`
 * itself when it went down (a reset: it started again from zero). Never negative, never NaN.
 */
export function increase(before: number, after: number): number {
  const a = Number.isFinite(after) && after > 0 ? after : 0;
  const b = Number.isFinite(before) && before > 0 ? before : 0;
  return a >= b ? a - b : a;
}

/** What a route did between two snapshots. */
export interface RouteDelta {
  requests: number;
  status4xx: number | null;
  status5xx: number | null;
  secondsSum: number | null;
  latency: LatencyBuckets | null;
}

/**
 * A route's increase from `before` to `after`. A reset is decided for the route as a whole (any
 * of its counters went down, the statuses other than 4xx and 5xx included): then every increase is the new value, so the parts (5xx, 4xx,
 * buckets) stay consistent with the whole (requests).
 */
export function routeDelta(before: RouteSample, after: RouteSample): RouteDelta {
  const down = (b: number | null, a: number | null) => b !== null && a !== null && a < b;
  const reset =
    down(before.requests, after.requests) ||
    down(before.status4xx, after.status4xx) ||
    down(before.status5xx, after.status5xx) ||
    down(before.secondsSum, after.secondsSum) ||
    // The remaining statuses (2xx, 3xx) went down: 4xx and 5xx grew by more than the whole did.
    down(before.requests - (before.status4xx ?? 0) - (before.status5xx ?? 0), after.requests - (after.status4xx ?? 0) - (after.status5xx ?? 0)) ||
    (before.latency !== null && after.latency !== null && after.latency.counts.some((n, i) => n < (before.latency!.counts[i] ?? 0)));
  // After a reset the baseline is zero: a restarted gateway counted everything from nothing.
  const base: RouteSample = reset ? { requests: 0, status4xx: 0, status5xx: 0, secondsSum: 0, meanSeconds: null, latency: null, targets: [] } : before;
  const inc = (b: number | null, a: number | null): number | null => (a === null ? null : increase(b ?? 0, a));
  // A baseline without a histogram is usable only if it had no requests (nothing to subtract).
  let latency: LatencyBuckets | null = null;
  if (after.latency !== null) {
    if (base.latency === null) latency = base.requests === 0 ? { boundaries: after.latency.boundaries, counts: after.latency.counts.map((n) => increase(0, n)) } : null;
    else if (sameBoundaries(base.latency.boundaries, after.latency.boundaries))
      latency = { boundaries: after.latency.boundaries, counts: after.latency.counts.map((n, i) => increase(base.latency!.counts[i]!, n)) };
  }
  return {
    requests: increase(base.requests, after.requests),
    status4xx: inc(base.status4xx, after.status4xx),
    status5xx: inc(base.status5xx, after.status5xx),
    secondsSum: after.secondsSum === null || (base.secondsSum === null && base.requests > 0) ? null : increase(base.secondsSum ?? 0, after.secondsSum),
    latency,
  };
}

/** Milliseconds between two snapshots: by the source's clock when both say, else by arrival. */
export function elapsedMs(a: StatsSnapshot, b: StatsSnapshot): number {
  return a.collectedAt !== null && b.collectedAt !== null ? b.collectedAt - a.collectedAt : b.receivedAt - a.receivedAt;
}

/**
 * The sum of a route's step-by-step increases over consecutive snapshots (each step
 * reset-aware). A step where the route was absent before counts nothing: its first appearance
 * is a baseline (a route deleted and saved again keeps its counters under its name, which must
 * not read as a burst). Null when no step has the route on both sides.
 */
export function windowDelta(history: readonly StatsSnapshot[], pattern: string): RouteDelta | null {
  let total: RouteDelta | null = null;
  for (let i = 1; i < history.length; i++) {
    const after = history[i]!.routes.get(pattern);
    const before = history[i - 1]!.routes.get(pattern);
    if (after === undefined || before === undefined) continue;
    const d = routeDelta(before, after);
    if (total === null) {
      total = d;
      continue;
    }
    const add = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
    total = {
      requests: total.requests + d.requests,
      status4xx: add(total.status4xx, d.status4xx),
      status5xx: add(total.status5xx, d.status5xx),
      secondsSum: add(total.secondsSum, d.secondsSum),
      latency:
        total.latency !== null && d.latency !== null && sameBoundaries(total.latency.boundaries, d.latency.boundaries)
          ? { boundaries: total.latency.boundaries, counts: total.latency.counts.map((n, j) => n + d.latency!.counts[j]!) }
          : // No requests in a step adds nothing to the histogram: keep what there is.
            d.requests === 0
            ? total.latency
            : total.requests === 0
              ? d.latency
              : null,
    };
  }
  return total;
}

/**
 * The `q` quantile (0 < q < 1) of a histogram, interpolated linearly inside its bucket (as
 * Prometheus' `histogram_quantile`; the first bucket starts at 0). `over` when it falls in the
 * last, unbounded bucket: the value is then the last bound, and the truth is above it. Null
 * without requests.
 */
export function bucketQuantile(q: number, h: LatencyBuckets): { seconds: number; over: boolean } | null {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (!(total > 0) || !(q > 0 && q < 1)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const n = h.counts[i]!;
    if (below + n >= rank && n > 0) {
      if (i === h.boundaries.length) return { seconds: h.boundaries[i - 1]!, over: true };
      const lower = i === 0 ? 0 : h.boundaries[i - 1]!;
      const upper = h.boundaries[i]!;
      return { seconds: lower + ((upper - lower) * (rank - below)) / n, over: false };
    }
    below += n;
  }
  return { seconds: h.boundaries[h.boundaries.length - 1]!, over: true };
}

// ---------------------------------------------------------------------------------------
// What a row shows

export interface RouteLive {
  /** Requests per second between the last two snapshots; null with fewer than two. */
  perSecond: number | null;
  /** Requests in the window, and the shares of 5xx and 4xx among them (null: none, or not given). */
  windowRequests: number | null;
  share5xx: number | null;
  share4xx: number | null;
  /** Latency over the window: percentiles from the histogram, else the mean. Seconds. */
  p50: { seconds: number; over: boolean } | null;
  p95: { seconds: number; over: boolean } | null;
  meanSeconds: number | null;
  /** Requests since the gateway started (the latest snapshot's counter). */
  total: number;
  targets: TargetBadge[];
}

const share = (part: number | null, whole: number): number | null => (part === null || whole <= 0 ? null : Math.min(1, Math.max(0, part / whole)));

/**
 * A route's row from the snapshot history (oldest first), or null when the newest snapshot
 * does not have the pattern (the gateway does not serve it: not saved yet, or renamed).
 */
export function routeLive(history: readonly StatsSnapshot[], pattern: string): RouteLive | null {
  const latest = history[history.length - 1];
  const now = latest?.routes.get(pattern);
  if (latest === undefined || now === undefined) return null;
  let perSecond: number | null = null;
  if (history.length >= 2) {
    const prev = history[history.length - 2]!;
    const before = prev.routes.get(pattern);
    const ms = elapsedMs(prev, latest);
    if (ms > 0 && before !== undefined) perSecond = routeDelta(before, now).requests / (ms / 1000);
  }
  const w = windowDelta(history, pattern);
  const live: RouteLive = {
    perSecond,
    windowRequests: w?.requests ?? null,
    share5xx: w === null ? null : share(w.status5xx, w.requests),
    share4xx: w === null ? null : share(w.status4xx, w.requests),
    p50: null,
    p95: null,
    meanSeconds: null,
    total: now.requests,
    targets: now.targets,
  };
  if (w !== null && w.requests > 0) {
    if (w.latency !== null) {
      live.p50 = bucketQuantile(0.5, w.latency);
      live.p95 = bucketQuantile(0.95, w.latency);
    }
    if (live.p50 === null && w.secondsSum !== null) live.meanSeconds = w.secondsSum / w.requests;
  }
  // No sum to difference: the source's own mean since it started is the best there is.
  if (live.p50 === null && live.meanSeconds === null && (w === null || w.secondsSum === null)) live.meanSeconds = now.meanSeconds;
  return live;
}

/**
 * Drops snapshots older than the window, keeping the one at or before its start (so the window
 * is covered whole) and always the last two (for the per-second rate).
 */
export function trimHistory(history: StatsSnapshot[], windowMs: number): StatsSnapshot[] {
  const latest = history[history.length - 1];
  if (latest === undefined) return history;
  let start = 0;
  while (start < history.length - 2 && elapsedMs(history[start + 1]!, latest) >= windowMs) start++;
  return start === 0 ? history : history.slice(start);
}

// ---------------------------------------------------------------------------------------
// Text

/** `12 req/s`, `2.5 req/s`, `0.05 req/s`, `0 req/s`. */
export function formatRate(perSecond: number): string {
  const n = !Number.isFinite(perSecond) || perSecond <= 0 ? 0 : perSecond;
  const text = n === 0 ? '0' : n >= 10 ? String(Math.round(n)) : n >= 1 ? n.toFixed(1).replace(/\.0$/, '') : n.toPrecision(1);
  return `${text} req/s`;
}

/** `25%`, `33.3%`, `0.4%`, `0%`. */
export function formatShare(s: number): string {
  const pct = s * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${Number(pct.toFixed(1))}%`;
}

/** `0.8 ms`, `12 ms`, `1.25 s`. */
export function formatSeconds(seconds: number): string {
  const ms = seconds * 1000;
  if (ms < 10) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number(seconds.toFixed(2))} s`;
}

/** `~4.2 ms`, or `>10 s` when it falls in the unbounded bucket. */
export function formatQuantile(q: { seconds: number; over: boolean }): string {
  return q.over ? `>${formatSeconds(q.seconds)}` : `~${formatSeconds(q.seconds)}`;
}
