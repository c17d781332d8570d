/**
 * Whether the host has installed an OpenTelemetry SDK, asked cheaply per request so the proxy
 * pays nothing when it has not (SPEC 13: "a no-op unless the host installs an SDK"). The
 * metrics API has no proxy provider: a meter taken before the SDK is registered stays a no-op
 * forever, so the provider is re-read on every request (one global lookup) and the
 * instruments are rebuilt only when it changes.
 */
import { createNoopMeter, metrics, ProxyTracerProvider, trace, type Meter, type Tracer, type TracerProvider } from '@opentelemetry/api';

/** The instrumentation scope of every metric and span of this package. */
export const INSTRUMENTATION_SCOPE = '@alternatefutures/routing-core';

const NOOP_METER = createNoopMeter();
/**
 * Where every copy of the API (major version 1) registers global providers. Reading it is the
 * fast path: with no metrics and no trace provider registered, a request does no API call at
 * all. Anything registered goes through the API proper.
 */
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

/** True when no MeterProvider and no TracerProvider is registered (the default). */
export function nothingRegistered(): boolean {
  const g = (globalThis as Record<symbol, { metrics?: unknown; trace?: unknown } | undefined>)[REGISTRY];
  return g === undefined || (g.metrics === undefined && g.trace === undefined);
}
// The API's no-op tracer provider is not exported; an unset ProxyTracerProvider hands it out.
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

/**
 * A meter that follows the global provider: `current()` returns the meter of the provider
 * registered now (rebuilding what `build` derives from it when the provider changed), or null
 * when there is none (the API's no-op).
 */
export function followMeter<T>(build: (meter: Meter, provider: object) => T): { current(): T | null } {
  let provider: unknown = null;
  let built: T | null = null;
  return {
    current() {
      const p = metrics.getMeterProvider();
      if (p !== provider) {
        provider = p;
        const meter = p.getMeter(INSTRUMENTATION_SCOPE);
        built = meter === NOOP_METER ? null : build(meter, p);
      }
      return built;
    },
  };
}

/** The tracer of the host's registered provider, or null when none is registered. */
export function currentTracer(): Tracer | null {
  const p = trace.getTracerProvider();
  const delegate = p instanceof ProxyTracerProvider ? p.getDelegate() : p;
  return delegate === NOOP_TRACER_PROVIDER ? null : trace.getTracer(INSTRUMENTATION_SCOPE);
}
