/**
 * What the proxy's transports call to observe a request (SPEC 13): metrics and spans, behind
 * one object so the Node proxy and the fetch handler each add a few lines. When no
 * MeterProvider and no tracer are registered, `start` returns null and the request pays for
 * one global read and nothing else (measured: docs/operations.md, "Cost").
 */
import { performance } from 'node:perf_hooks';
import type { Span } from '@opentelemetry/api';
import type { HeaderRecord } from '../pipeline/headers.js';
import { createRouteMetrics, requestMetrics, type RequestMetrics, type RouteMetrics, type TargetAttributes } from './metrics.js';
import { currentTracer, nothingRegistered, registry } from './otel.js';
import { endClientSpan, endServerTrace, nameServerTrace, startClientSpan, startServerTrace, type HeaderGetter, type ServerTrace } from './trace.js';

/** The end of one upstream attempt. */
export interface AttemptObservation {
  end(status: number | undefined, error: string | undefined): void;
}

/** One request being observed. */
export interface RequestObservation {
  /** The route (its name) took the request. */
  route(name: string): void;
  /** An upstream attempt starts: a client span (its `traceparent` written into `headers`) and a timer. */
  attempt(method: string, origin: string, headers: HeaderRecord): AttemptObservation;
  /** The response is over (`ms` since arrival). */
  end(status: number, ms: number, error: string | undefined, bytesIn: number | undefined, bytesOut: number | undefined): void;
}

export interface ProxyObserver {
  /** The metrics recorder (also an `EventSink`). */
  readonly metrics: RouteMetrics;
  /** Null when nothing observes requests (no SDK, no tracer): the fast path. */
  start(method: string, target: string, header: HeaderGetter): RequestObservation | null;
}

const NO_ATTEMPT: AttemptObservation = { end() {} };

/**
 * One upstream attempt being timed (a class, not a closure: one allocation per attempt). Its
 * clock is `node:perf_hooks`' `performance`: Node's global one is a lazy getter, run on every read.
 */
class Attempt implements AttemptObservation {
  private readonly started = performance.now();
  private done = false;

  constructor(
    private readonly request: Observation,
    private readonly span: Span | null,
    private readonly method: string,
    private readonly origin: string,
    /** The attribute cache it records with (the recorder's own metrics), else null. */
    private readonly target: TargetAttributes | null,
  ) {}

  end(status: number | undefined, error: string | undefined): void {
    if (this.done) return;
    this.done = true;
    const seconds = (performance.now() - this.started) / 1000;
    const r = this.request;
    if (this.target !== null) r.fast!.attemptEnded(this.target, this.method, status, error, seconds);
    else r.metrics?.recordAttempt({ method: this.method, route: r.name, origin: this.origin, status, error, seconds });
    if (this.span !== null) endClientSpan(this.span, status, error);
  }
}

/**
 * One request being observed. Its metrics go to `fast` (what `createRouteMetrics` resolved for
 * it when it started: no lookups, no record objects) or, for a host's own `RouteMetrics`, to
 * `metrics` as records.
 */
class Observation implements RequestObservation {
  name: string | null = null;

  constructor(
    readonly metrics: RouteMetrics | null,
    readonly fast: RequestMetrics | null,
    private readonly trace: ServerTrace | null,
    private readonly method: string,
  ) {}

  route(name: string): void {
    this.name = name;
    this.fast?.routed(name);
    if (this.trace !== null) nameServerTrace(this.trace, this.method, name);
  }

  attempt(method: string, origin: string, headers: HeaderRecord): AttemptObservation {
    const tracer = this.trace === null ? null : currentTracer();
    const span: Span | null = tracer === null ? null : startClientSpan(tracer, this.trace!, method, origin, headers);
    if (span === null && this.metrics === null && this.fast === null) return NO_ATTEMPT;
    return new Attempt(this, span, method, origin, this.fast === null ? null : this.fast.target(origin));
  }

  end(status: number, ms: number, error: string | undefined, bytesIn: number | undefined, bytesOut: number | undefined): void {
    if (this.fast !== null) this.fast.ended(status, ms / 1000, error, bytesIn, bytesOut);
    else this.metrics?.recordRequest({ method: this.method, route: this.name, status, seconds: ms / 1000, error, bytesIn, bytesOut });
    if (this.trace !== null) endServerTrace(this.trace, status, error);
  }
}

/** The observer of one proxy; `metrics` defaults to a recorder on the global MeterProvider. */
export function createProxyObserver(metrics: RouteMetrics = createRouteMetrics()): ProxyObserver {
  return {
    metrics,
    start(method, target, header) {
      // One read of the API's registry decides the common cases: nothing registered (no
      // observation at all), or metrics without a tracer provider (no tracer lookup).
      const g = registry();
      if (nothingRegistered(g)) return null;
      const fast = requestMetrics(metrics, method);
      // A host's own recorder (fast undefined) says itself whether it records.
      const m = fast === undefined && metrics.active() ? metrics : null;
      const tracer = currentTracer(g);
      if (m === null && (fast ?? null) === null && tracer === null) return null;
      return new Observation(m, fast ?? null, tracer === null ? null : startServerTrace(tracer, method, target, header), method);
    },
  };
}

let shared: ProxyObserver | undefined;

/** The observer every transport shares (metrics follow the global provider, so one is enough). */
export function defaultObserver(): ProxyObserver {
  return (shared ??= createProxyObserver());
}
