/**
 * The body of the admin `/routes` endpoint: the active table in precedence order (the order
 * `match` prefers routes in, src/match/precedence.ts), each variant with its counters read
 * from the collected metrics (by `http.route`, the route's name) and the last known health of
 * its targets.
 *
 * For a client that derives live rates (the route editor polls it), each route also carries the
 * sum of its request durations and their histogram buckets, and the document its collection
 * time: rates and percentiles over an interval are the differences of two documents.
 */
import type { DataPoint, Histogram, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { routesInPrecedenceOrder } from '../match/precedence.js';
import type { Router } from '../match/types.js';
import type { TargetHealth } from '../telemetry/health-board.js';
import { ATTR, METRIC } from '../telemetry/metric-names.js';

export interface RouteCounters {
  requests: number;
  /** Responses by status class: `2xx`, `3xx`, `4xx`, `5xx`. */
  statuses: Record<string, number>;
  /** Mean request duration in seconds (null before the first request). */
  meanSeconds: number | null;
  /** Sum of request durations in seconds: with `requests`, the mean over any interval (Δsum / Δrequests). */
  secondsSum: number;
  /**
   * Request durations as a cumulative histogram (seconds), summed over statuses: `counts[i]`
   * requests took at most `boundaries[i]` and more than the previous boundary; the last count
   * is above the last boundary (`counts.length === boundaries.length + 1`). Null before the
   * first request. The differences of two documents' counts give percentiles over that interval.
   */
  latency: LatencyBuckets | null;
  upstreamAttempts: number;
  retries: number;
  ejections: number;
  rateLimited: number;
  cacheHits: number;
  authFailures: number;
  methodNotAllowed: number;
  bytesOut: number;
}

export interface LatencyBuckets {
  boundaries: number[];
  counts: number[];
}

function emptyCounters(): RouteCounters & { seconds: number } {
  return {
    requests: 0,
    statuses: {},
    meanSeconds: null,
    secondsSum: 0,
    latency: null,
    upstreamAttempts: 0,
    retries: 0,
    ejections: 0,
    rateLimited: 0,
    cacheHits: 0,
    authFailures: 0,
    methodNotAllowed: 0,
    bytesOut: 0,
    seconds: 0,
  };
}

/** Adds a data point's buckets (one per status and method) to the route's histogram. */
function addBuckets(c: RouteCounters, h: Histogram, mixed: Set<RouteCounters>): void {
  const { boundaries, counts } = h.buckets;
  if (mixed.has(c)) return;
  if (c.latency === null) {
    c.latency = { boundaries: [...boundaries], counts: [...counts] };
    return;
  }
  const same = c.latency.boundaries.length === boundaries.length && c.latency.boundaries.every((b, i) => b === boundaries[i]);
  // Every point comes from one instrument with fixed boundaries; should they ever differ, the
  // histogram is dropped (the mean stays) rather than added up wrong.
  if (!same) {
    c.latency = null;
    mixed.add(c);
    return;
  }
  c.latency.counts = c.latency.counts.map((n, i) => n + (counts[i] ?? 0));
}

/** Per route name, from the metrics of this package's scope. */
export function countersByRoute(scopeMetrics: readonly ScopeMetrics[]): Map<string, RouteCounters> {
  const byRoute = new Map<string, RouteCounters & { seconds: number }>();
  /** Routes whose histograms had different boundaries: no histogram for them. */
  const mixed = new Set<RouteCounters>();
  const of = (name: unknown) => {
    const key = typeof name === 'string' ? name : '';
    let c = byRoute.get(key);
    if (c === undefined) byRoute.set(key, (c = emptyCounters()));
    return c;
  };
  for (const sm of scopeMetrics) {
    for (const metric of sm.metrics) {
      for (const p of metric.dataPoints as DataPoint<number | Histogram>[]) {
        const route = p.attributes[ATTR.route];
        if (route === undefined) continue;
        const c = of(route);
        const n = typeof p.value === 'number' ? p.value : p.value.count;
        switch (metric.descriptor.name) {
          case METRIC.serverDuration: {
            const h = p.value as Histogram;
            c.requests += h.count;
            c.seconds += h.sum ?? 0;
            addBuckets(c, h, mixed);
            const cls = `${String(p.attributes[ATTR.status]).charAt(0)}xx`;
            c.statuses[cls] = (c.statuses[cls] ?? 0) + h.count;
            break;
          }
          case METRIC.clientDuration:
            c.upstreamAttempts += n;
            break;
          case METRIC.retries:
            c.retries += n;
            break;
          case METRIC.ejections:
            c.ejections += n;
            break;
          case METRIC.rateLimited:
            c.rateLimited += n;
            break;
          case METRIC.cacheRequests:
            if (p.attributes[ATTR.cacheStatus] === 'hit') c.cacheHits += n;
            break;
          case METRIC.authFailures:
            c.authFailures += n;
            break;
          case METRIC.methodNotAllowed:
            c.methodNotAllowed += n;
            break;
          case METRIC.responseBytes:
            c.bytesOut += n;
            break;
        }
      }
    }
  }
  const out = new Map<string, RouteCounters>();
  for (const [name, { seconds, ...c }] of byRoute) out.set(name, { ...c, secondsSum: seconds, meanSeconds: c.requests > 0 ? seconds / c.requests : null });
  return out;
}

/** The JSON of `/routes`. */
export function routesDocument(router: Router, scopeMetrics: readonly ScopeMetrics[], health: readonly TargetHealth[], extra: Record<string, unknown> = {}) {
  const counters = countersByRoute(scopeMetrics);
  const zero = { ...emptyCounters(), seconds: undefined };
  delete zero.seconds;
  return {
    ...extra,
    /** When the counters were read (ISO time): the interval between two documents is exact. */
    collectedAt: new Date().toISOString(),
    backend: router.engine,
    routes: routesInPrecedenceOrder(router.routes).map((route, i) => ({
      precedence: i + 1,
      pattern: route.pattern,
      variants: route.variants.map((v) => ({
        index: v.index,
        name: v.name,
        methods: v.methods,
        targets: v.targets.map((t) => {
          const h = health.find((x) => x.route === v.name && (x.target === t.url || t.url.startsWith(x.target)));
          return { url: t.url, weight: t.weight, health: h ?? null };
        }),
        counters: counters.get(v.name) ?? (zero as RouteCounters),
      })),
    })),
  };
}
