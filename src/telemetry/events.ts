/**
 * Routing events: what the pipeline's stages report beyond the access log (SPEC 13), so that
 * metrics, traces and the CLI's output are fed from one place. A stage calls
 * `events?.emit(...)`; the host (or `af-routes serve`) passes a sink that counts them (the
 * OpenTelemetry metrics in src/telemetry/), prints them, or both. A sink must not throw; the
 * pipeline ignores what it returns.
 */
export type RoutingEvent =
  | { readonly type: 'no-route'; readonly path: string }
  | { readonly type: 'method-not-allowed'; readonly route: string; readonly allow: readonly string[] }
  | { readonly type: 'retry'; readonly route: string; readonly target: string; readonly attempt: number; readonly reason: string }
  | { readonly type: 'ejection'; readonly route: string; readonly target: string; readonly forMs: number }
  | { readonly type: 'health'; readonly route: string; readonly target: string; readonly healthy: boolean; readonly source: 'passive' | 'active' }
  | { readonly type: 'rate-limited'; readonly route: string; readonly key: string }
  | { readonly type: 'rate-limit-store-error'; readonly route: string; readonly error: string }
  | { readonly type: 'cache'; readonly route: string; readonly status: 'hit' | 'miss' | 'stale' | 'bypass' }
  | { readonly type: 'auth-failure'; readonly route: string; readonly scheme: 'apiKey' | 'jwt' | 'forward'; readonly reason: string };

export interface EventSink {
  emit(event: RoutingEvent): void;
}

/** Calls every sink, swallowing what one throws (a metrics bug never fails a request). */
export function emitSafely(sink: EventSink | undefined, event: RoutingEvent): void {
  if (sink === undefined) return;
  try {
    sink.emit(event);
  } catch {
    /* a sink's failure is not the request's */
  }
}
