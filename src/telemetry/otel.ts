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

/** What the API keeps under REGISTRY (the fields read here). */
export interface Registry {
  readonly version?: string;
  readonly metrics?: unknown;
  readonly trace?: unknown;
}

/** The API's global registry, or undefined when nothing was ever registered. */
export function registry(): Registry | undefined {
  return (globalThis as Record<symbol, Registry | undefined>)[REGISTRY];
}

/** True when no MeterProvider and no TracerProvider is registered (the default). */
export function nothingRegistered(g: Registry | undefined = registry()): boolean {
  return g === undefined || (g.metrics === undefined && g.trace === undefined);
}
// The API's no-op tracer provider is not exported; an unset ProxyTracerProvider hands it out.
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

/** Never a registry entry: `followMeter`'s first call always resolves the provider. */
const UNSEEN = Symbol('unseen');

/**
 * A meter that follows the global provider: `current()` returns the meter of the provider
 * registered now (rebuilding what `build` derives from it when the provider changed), or null
 * when there is none (the API's no-op).
 *
 * The API's `getMeterProvider()` reads the registry twice and checks its version on every
 * call; what it returns depends only on the registry's `metrics` entry and `version`, so the
 * API is asked again only when one of them changed (one global read per call otherwise).
 */
export function followMeter<T>(build: (meter: Meter, provider: object) => T): { current(): T | null } {
  let seenEntry: unknown = UNSEEN;
  let seenVersion: unknown = UNSEEN;
  let provider: unknown = null;
  let built: T | null = null;
  return {
    current() {
      const g = registry();
      const entry = g?.metrics;
      const version = g?.version;
      if (entry === seenEntry && version === seenVersion) return built;
      seenEntry = entry;
      seenVersion = version;
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
export function currentTracer(g: Registry | undefined = registry()): Tracer | null {
  // No `trace` entry: the API hands out its own proxy provider, whose delegate is the no-op
  // until a provider is registered (which also makes the entry).
  if (g?.trace === undefined) return null;
  const p = trace.getTracerProvider();
  const delegate = p instanceof ProxyTracerProvider ? p.getDelegate() : p;
  return delegate === NOOP_TRACER_PROVIDER ? null : trace.getTracer(INSTRUMENTATION_SCOPE);
}
