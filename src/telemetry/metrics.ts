/**
 * Route metrics through the OpenTelemetry metrics API (SPEC 13): request and upstream-attempt
 * durations with the HTTP semantic conventions, bytes, and one counter per routing event. A
 * no-op (one global read per call) unless the host registers a MeterProvider; the
 * instruments follow the provider registered at the time of each call (./otel.ts), and a
 * request observed by ./observer.ts records on the provider registered when it started.
 */
import { ValueType, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import type { EventSink, RoutingEvent } from './events.js';
import { ATTR, DURATION_HISTOGRAMS, METRIC, type DurationHistogram } from './metric-names.js';
import { followMeter } from './otel.js';
import { durationsOf } from './route-histograms.js';

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

/**
 * Per-request attribute objects, built once per route, target, method and status and reused
 * (bench/results/notes-observability.md): building a fresh object for every measurement cost
 * more than the SDK's recording. All keys are bounded: route names and targets come from the
 * table, methods are the known set or `_OTHER`, statuses are three digits, errors are the
 * `ProxyErrorCode`s. The SDK still hashes the attributes on every record; what it never sees
 * again is our allocation.
 */
class RouteAttributes {
  /** `{ http.route }` (empty for requests no route took): the bytes counters' and events' attributes. */
  readonly route: Attributes;
  /** Server duration attributes by `status * 16 + method index` (no error). */
  private readonly server = new Map<number, Attributes>();
  /** Server or client attributes with an `error.type`, by a string key (failures only). */
  private readonly failed = new Map<string, Attributes>();
  private readonly targets = new Map<string, TargetAttributes>();
  /** Cache lookups by status, for routes with a cache (one event per request). */
  private readonly cache = new Map<string, Attributes>();
  /** Request and response body bytes so far (observed by the bytes counters at collection). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(readonly name: string | null) {
    this.route = name === null ? {} : { [ATTR.route]: name };
  }

  /** @param m the method's index in METHODS (`methodIndex`) */
  serverAttributes(m: number, status: number, error: string | undefined): Attributes {
    if (error !== undefined) {
      const key = `${m} ${status} ${error}`;
      let a = this.failed.get(key);
      if (a === undefined) this.failed.set(key, (a = { ...this.withRoute(m, status), [ATTR.errorType]: error }));
      return a;
    }
    const key = status * 16 + m;
    let a = this.server.get(key);
    if (a === undefined) this.server.set(key, (a = this.withRoute(m, status)));
    return a;
  }

  /** The attribute cache of one upstream origin of this route. */
  target(origin: string): TargetAttributes {
    let t = this.targets.get(origin);
    if (t === undefined) this.targets.set(origin, (t = new TargetAttributes(this.name, origin)));
    return t;
  }

  cacheAttributes(status: string): Attributes {
    let a = this.cache.get(status);
    if (a === undefined) this.cache.set(status, (a = { ...this.route, [ATTR.cacheStatus]: status }));
    return a;
  }

  private withRoute(m: number, status: number): Attributes {
    const a: Attributes = { [ATTR.method]: METHODS[m]!, [ATTR.status]: status };
    if (this.name !== null) a[ATTR.route] = this.name;
    return a;
  }
}

/** One upstream origin of one route: its address and port parsed once. */
export class TargetAttributes {
  private readonly base: Attributes;
  private readonly byKey = new Map<string | number, Attributes>();

  constructor(route: string | null, origin: string) {
    const { address, port } = originAttributes(origin);
    this.base = { [ATTR.serverAddress]: address, [ATTR.serverPort]: port };
    if (route !== null) this.base[ATTR.route] = route;
  }

  /** @param m the method's index in METHODS (`methodIndex`) */
  attributes(m: number, status: number | undefined, error: string | undefined): Attributes {
    // Attempts with no status (the upstream did not answer) key as status 0.
    const key: string | number = error === undefined ? (status ?? 0) * 16 + m : `${m} ${status ?? 0} ${error}`;
    let a = this.byKey.get(key);
    if (a === undefined) {
      a = { [ATTR.method]: METHODS[m]!, ...this.base };
      if (status !== undefined) a[ATTR.status] = status;
      if (error !== undefined) a[ATTR.errorType] = error;
      this.byKey.set(key, a);
    }
    return a;
  }
}

/** What the duration histograms need: the API's `Histogram` or a plain one (./route-histograms.ts). */
interface Recorder {
  record(value: number, attributes?: Attributes): void;
}

interface Instruments {
  server: Recorder;
  client: Recorder;
  retries: Counter;
  ejections: Counter;
  health: Counter;
  rateLimited: Counter;
  storeErrors: Counter;
  cache: Counter;
  auth: Counter;
  noRoute: Counter;
  notAllowed: Counter;
  /** The attribute cache and byte totals of each route (null: requests no route took). */
  routes: Map<string | null, RouteAttributes>;
}

function instruments(meter: Meter, provider: object): Instruments {
  const duration = (d: DurationHistogram) =>
    meter.createHistogram(d.name, { unit: d.unit, description: d.description, valueType: ValueType.DOUBLE, advice: { explicitBucketBoundaries: [...d.boundaries] } });
  // `af-routes serve`'s provider aggregates the durations itself (two SDK records per request
  // were the largest cost of metrics); any other provider gets them through the API.
  const plain = durationsOf(provider);
  const counter = (name: string, description: string, unit = '1') => meter.createCounter(name, { description, unit, valueType: ValueType.INT });
  const routes = new Map<string | null, RouteAttributes>();
  // Bytes are summed per route in plain numbers and reported when the SDK collects
  // (asynchronous counters): a request adds two numbers instead of making two SDK records.
  const bytes = (name: string, description: string, read: (r: RouteAttributes) => number) =>
    meter.createObservableCounter(name, { description, unit: 'By', valueType: ValueType.INT }).addCallback((result) => {
      for (const r of routes.values()) {
        const value = read(r);
        if (r.name !== null && value > 0) result.observe(value, r.route);
      }
    });
  bytes(METRIC.requestBytes, 'Request body bytes received from clients and forwarded', (r) => r.bytesIn);
  bytes(METRIC.responseBytes, 'Response body bytes sent to clients', (r) => r.bytesOut);
  return {
    server: plain?.server ?? duration(DURATION_HISTOGRAMS.server),
    client: plain?.client ?? duration(DURATION_HISTOGRAMS.client),
    retries: counter(METRIC.retries, 'Upstream retries'),
    ejections: counter(METRIC.ejections, 'Targets ejected from a balancer'),
    health: counter(METRIC.healthChanges, 'Target health changes'),
    rateLimited: counter(METRIC.rateLimited, 'Requests refused by a rate limit'),
    storeErrors: counter(METRIC.rateLimitStoreErrors, 'Rate-limit store failures'),
    cache: counter(METRIC.cacheRequests, 'Cache lookups by result'),
    auth: counter(METRIC.authFailures, 'Requests refused by auth'),
    noRoute: counter(METRIC.noRoute, 'Requests no route takes'),
    notAllowed: counter(METRIC.methodNotAllowed, 'Requests refused 405'),
    routes,
  };
}

function routeOf(i: Instruments, name: string | null): RouteAttributes {
  let r = i.routes.get(name);
  if (r === undefined) i.routes.set(name, (r = new RouteAttributes(name)));
  return r;
}

/** The HTTP semantic conventions' method set; anything else is `_OTHER` (bounded cardinality). */
const METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY', '_OTHER'];
const OTHER = METHODS.length - 1;

function methodIndex(method: string): number {
  // GET first: most requests are.
  if (method === 'GET') return 0;
  const i = METHODS.indexOf(method);
  return i === -1 ? OTHER : i;
}

export function methodAttribute(method: string): string {
  return METHODS[methodIndex(method)]!;
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
      i.notAllowed.add(1, routeOf(i, event.route).route);
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
      i.rateLimited.add(1, routeOf(i, event.route).route);
      return;
    case 'rate-limit-store-error':
      i.storeErrors.add(1, { [ATTR.route]: event.route });
      return;
    case 'cache':
      i.cache.add(1, routeOf(i, event.route).cacheAttributes(event.status));
      return;
    case 'auth-failure':
      i.auth.add(1, { [ATTR.route]: event.route, [ATTR.authScheme]: event.scheme, [ATTR.reason]: event.reason });
      return;
  }
}

/**
 * The metrics of one request, resolved once when it starts: the instruments of the provider
 * registered then, and (once routed) its route's attribute cache. Its attempts and its end
 * record without looking the provider, the route or the method up again, and without a
 * record object (bench/results/notes-observability.md, "Session 23").
 */
export class RequestMetrics {
  private route: RouteAttributes;
  private readonly m: number;

  constructor(
    private readonly i: Instruments,
    method: string,
  ) {
    this.m = methodIndex(method);
    this.route = routeOf(i, null);
  }

  /** The route (its name) took the request. */
  routed(name: string): void {
    this.route = routeOf(this.i, name);
  }

  /** The attribute cache an attempt to `origin` records with (taken when the attempt starts). */
  target(origin: string): TargetAttributes {
    return this.route.target(origin);
  }

  attemptEnded(target: TargetAttributes, method: string, status: number | undefined, error: string | undefined, seconds: number): void {
    this.i.client.record(seconds, target.attributes(methodIndex(method), status, error));
  }

  ended(status: number, seconds: number, error: string | undefined, bytesIn: number | undefined, bytesOut: number | undefined): void {
    recordRequestOn(this.i, this.route, this.m, status, seconds, error, bytesIn, bytesOut);
  }
}

function recordRequestOn(
  i: Instruments,
  route: RouteAttributes,
  m: number,
  status: number,
  seconds: number,
  error: string | undefined,
  bytesIn: number | undefined,
  bytesOut: number | undefined,
): void {
  i.server.record(seconds, route.serverAttributes(m, status, error));
  // Counted only for requests a route took (a 404's body is the gateway's, not a route's).
  if (route.name !== null) {
    if (bytesIn !== undefined && bytesIn > 0) route.bytesIn += bytesIn;
    if (bytesOut !== undefined && bytesOut > 0) route.bytesOut += bytesOut;
  }
}

/** The recorder `createRouteMetrics` makes: the global provider's instruments, followed. */
class OtelRouteMetrics implements RouteMetrics {
  private readonly follow = followMeter(instruments);

  active(): boolean {
    return this.follow.current() !== null;
  }

  /** One request's metrics on the provider registered now, or null when there is none. */
  request(method: string): RequestMetrics | null {
    const i = this.follow.current();
    return i === null ? null : new RequestMetrics(i, method);
  }

  emit(event: RoutingEvent): void {
    const i = this.follow.current();
    if (i !== null) record(i, event);
  }

  recordRequest(r: RequestRecord): void {
    const i = this.follow.current();
    if (i !== null) recordRequestOn(i, routeOf(i, r.route), methodIndex(r.method), r.status, r.seconds, r.error, r.bytesIn, r.bytesOut);
  }

  recordAttempt(r: AttemptRecord): void {
    const i = this.follow.current();
    if (i !== null) i.client.record(r.seconds, routeOf(i, r.route).target(r.origin).attributes(methodIndex(r.method), r.status, r.error));
  }
}

/**
 * The metrics recorder: pass it (or a `teeEvents` of it and your own sink) as `events` to count
 * routing events; the Node proxy and the fetch handler also record durations through it.
 */
export function createRouteMetrics(): RouteMetrics {
  return new OtelRouteMetrics();
}

/**
 * The per-request fast path for a recorder `createRouteMetrics` made: its metrics for one
 * request (null when no provider is registered), or undefined for any other `RouteMetrics`
 * (a host's own: it gets `recordRequest`/`recordAttempt` records).
 */
export function requestMetrics(metrics: RouteMetrics, method: string): RequestMetrics | null | undefined {
  return metrics instanceof OtelRouteMetrics ? metrics.request(method) : undefined;
}
