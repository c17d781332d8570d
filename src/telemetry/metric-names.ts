/**
 * The names, units and buckets of every metric this package records (docs/operations.md lists
 * the same). HTTP metrics follow the OpenTelemetry HTTP semantic conventions; routing events
 * are counters under `routing.`. Exported as data so dashboards and tests read one source.
 */

/** Seconds: the OpenTelemetry HTTP semantic conventions' advised boundaries. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);

export const METRIC = Object.freeze({
  /** Histogram (s): one per request the gateway answers; `http.route` is the route's name. */
  serverDuration: 'http.server.request.duration',
  /** Histogram (s): one per upstream attempt; `server.address`/`server.port` name the target. */
  clientDuration: 'http.client.request.duration',
  /** Counter (By): response body bytes sent to clients, per route. */
  responseBytes: 'routing.response.bytes',
  /** Counter (By): request body bytes read from clients and forwarded (chunked bodies included), per route. */
  requestBytes: 'routing.request.bytes',
  /** Counter: retries of an upstream request (`reason`). */
  retries: 'routing.retries',
  /** Counter: targets ejected from a route's balancer. */
  ejections: 'routing.ejections',
  /** Counter: target health changes (`healthy`, `source`). */
  healthChanges: 'routing.health.changes',
  /** Counter: requests refused 429 by a rate limit. */
  rateLimited: 'routing.rate_limited',
  /** Counter: rate-limit store failures (the request was let through). */
  rateLimitStoreErrors: 'routing.rate_limit.store_errors',
  /** Counter: cache lookups (`status`: hit, miss, stale, bypass). */
  cacheRequests: 'routing.cache.requests',
  /** Counter: requests refused by auth (`scheme`, `reason`). */
  authFailures: 'routing.auth.failures',
  /** Counter: requests no route takes (404). */
  noRoute: 'routing.no_route',
  /** Counter: requests a route takes for another method (405). */
  methodNotAllowed: 'routing.method_not_allowed',
});

export interface DurationHistogram {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly boundaries: readonly number[];
}

/** The two duration histograms' descriptions (the SDK's instruments, or ./route-histograms.ts's). */
export const DURATION_HISTOGRAMS: { readonly server: DurationHistogram; readonly client: DurationHistogram } = Object.freeze({
  server: Object.freeze({ name: METRIC.serverDuration, description: 'Duration of requests answered by the gateway', unit: 's', boundaries: DURATION_BUCKETS_SECONDS }),
  client: Object.freeze({ name: METRIC.clientDuration, description: 'Duration of each upstream attempt', unit: 's', boundaries: DURATION_BUCKETS_SECONDS }),
});

/** Attribute names beyond the HTTP semantic conventions' (`http.route`, `server.address`, ...). */
export const ATTR = Object.freeze({
  route: 'http.route',
  method: 'http.request.method',
  status: 'http.response.status_code',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  target: 'routing.target',
  reason: 'routing.reason',
  cacheStatus: 'routing.cache.status',
  authScheme: 'routing.auth.scheme',
  healthy: 'routing.healthy',
  healthSource: 'routing.health.source',
});
