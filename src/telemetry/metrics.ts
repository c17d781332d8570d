/**
 * Route metrics through the OpenTelemetry metrics API (SPEC 13): request and upstream-attempt
 * durations with the HTTP semantic conventions, bytes, and one counter per routing event. A
 * no-op (one global lookup per call) unless the host registers a MeterProvider; the
 * instruments follow the provider registered at the time of each call (./otel.ts).
 */
import { ValueType, type Attributes, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import type { EventSink, RoutingEvent } from './events.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRIC } from './metric-names.js';
import { followMeter } from './otel.js';

/** What one finished request reports to the metrics. */
export interface RequestRecord {
  method: string;
  /** The route's name (`RouteVariant.name`), or null when no route took it. */
  route: string | null;
  status: number;
  /** Seconds. */
  seconds: number;
  /** The error code (`ProxyErrorCode`), when the request failed. */
  error?: string | undefined;
  bytesIn?: number | undefined;
  bytesOut?: number | undefined;
}

/** What one upstream attempt reports. */
export interface AttemptRecord {
  method: string;
  route: string | null;
  /** The upstream origin (`http://10.0.0.5:8080`). */
  origin: string;
  /** The upstream's status, absent when it did not answer. */
  status?: number | undefined;
  seconds: number;
  error?: string | undefined;
}

export interface RouteMetrics extends EventSink {
  recordRequest(record: RequestRecord): void;
  recordAttempt(record: AttemptRecord): void;
  /** True when a MeterProvider is registered (so callers can skip preparing a record). */
  active(): boolean;
}

interface Instruments {
  server: Histogram;
  client: Histogram;
  bytesIn: Counter;
  bytesOut: Counter;
  retries: Counter;
  ejections: Counter;
  health: Counter;
  rateLimited: Counter;
  storeErrors: Counter;
  cache: Counter;
  auth: Counter;
  noRoute: Counter;
  notAllowed: Counter;
}

function instruments(meter: Meter): Instruments {
  const duration = (name: string, description: string) =>
    meter.createHistogram(name, { unit: 's', description, valueType: ValueType.DOUBLE, advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] } });
  const counter = (name: string, description: string, unit = '1') => meter.createCounter(name, { description, unit, valueType: ValueType.INT });
  return {
    server: duration(METRIC.serverDuration, 'Duration of requests answered by the gateway'),
    client: duration(METRIC.clientDuration, 'Duration of each upstream attempt'),
    bytesIn: counter(METRIC.requestBytes, 'Request body bytes received (declared content-length)', 'By'),
    bytesOut: counter(METRIC.responseBytes, 'Response body bytes sent to clients', 'By'),
    retries: counter(METRIC.retries, 'Upstream retries'),
    ejections: counter(METRIC.ejections, 'Targets ejected from a balancer'),
    health: counter(METRIC.healthChanges, 'Target health changes'),
    rateLimited: counter(METRIC.rateLimited, 'Requests refused by a rate limit'),
    storeErrors: counter(METRIC.rateLimitStoreErrors, 'Rate-limit store failures'),
    cache: counter(METRIC.cacheRequests, 'Cache lookups by result'),
    auth: counter(METRIC.authFailures, 'Requests refused by auth'),
    noRoute: counter(METRIC.noRoute, 'Requests no route takes'),
    notAllowed: counter(METRIC.methodNotAllowed, 'Requests refused 405'),
  };
}

/** The HTTP semantic conventions' method set; anything else is `_OTHER` (bounded cardinality). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

export function methodAttribute(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** `http://host:port` → address and port (the scheme's default when absent). */
export function originAttributes(origin: string): { address: string; port: number } {
  const scheme = origin.startsWith('https:') ? 443 : 80;
  const rest = origin.slice(origin.indexOf('//') + 2);
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf(']') && colon !== -1) return { address: rest.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(rest.slice(colon + 1)) };
  return { address: rest.replace(/^\[|\]$/g, ''), port: scheme };
}

function record(i: Instruments, event: RoutingEvent): void {
  switch (event.type) {
    case 'no-route':
      i.noRoute.add(1);
      return;
    case 'method-not-allowed':
      i.notAllowed.add(1, { [ATTR.route]: event.route });
      return;
    case 'retry':
      i.retries.add(1, { [ATTR.route]: event.route, [ATTR.target]: event.target, [ATTR.reason]: event.reason });
      return;
    case 'ejection':
      i.ejections.add(1, { [ATTR.route]: event.route, [ATTR.target]: event.target });
      return;
    case 'health':
      i.health.add(1, { [ATTR.route]: event.route, [ATTR.target]: event.target, [ATTR.healthy]: event.healthy, [ATTR.healthSource]: event.source });
      return;
    case 'rate-limited':
      // The key (a client address or API key) is deliberately not an attribute: unbounded cardinality.
      i.rateLimited.add(1, { [ATTR.route]: event.route });
      return;
    case 'rate-limit-store-error':
      i.storeErrors.add(1, { [ATTR.route]: event.route });
      return;
    case 'cache':
      i.cache.add(1, { [ATTR.route]: event.route, [ATTR.cacheStatus]: event.status });
      return;
    case 'auth-failure':
      i.auth.add(1, { [ATTR.route]: event.route, [ATTR.authScheme]: event.scheme, [ATTR.reason]: event.reason });
      return;
  }
}

/**
 * The metrics recorder: pass it (or a `teeEvents` of it and your own sink) as `events` to count
 * routing events; the Node proxy and the fetch handler also record durations through it.
 */
export function createRouteMetrics(): RouteMetrics {
  const follow = followMeter(instruments);
  return {
    active: () => follow.current() !== null,
    emit(event) {
      const i = follow.current();
      if (i !== null) record(i, event);
    },
    recordRequest(r) {
      const i = follow.current();
      if (i === null) return;
      const attributes: Attributes = { [ATTR.method]: methodAttribute(r.method), [ATTR.status]: r.status };
      if (r.route !== null) attributes[ATTR.route] = r.route;
      if (r.error !== undefined) attributes[ATTR.errorType] = r.error;
      i.server.record(r.seconds, attributes);
      if (r.route !== null) {
        if (r.bytesIn) i.bytesIn.add(r.bytesIn, { [ATTR.route]: r.route });
        if (r.bytesOut) i.bytesOut.add(r.bytesOut, { [ATTR.route]: r.route });
      }
    },
    recordAttempt(r) {
      const i = follow.current();
      if (i === null) return;
      const { address, port } = originAttributes(r.origin);
      const attributes: Attributes = { [ATTR.method]: methodAttribute(r.method), [ATTR.serverAddress]: address, [ATTR.serverPort]: port };
      if (r.route !== null) attributes[ATTR.route] = r.route;
      if (r.status !== undefined) attributes[ATTR.status] = r.status;
      if (r.error !== undefined) attributes[ATTR.errorType] = r.error;
      i.client.record(r.seconds, attributes);
    },
  };
}
