/**
 * The OpenTelemetry SDK side of `af-routes serve --admin-port`: a MeterProvider registered
 * globally (so the library's API calls start recording) with a pull reader, and the
 * Prometheus text of what one or several processes collected. Loaded only when metrics are
 * on: the SDK and the exporter stay out of the library and out of a plain `serve`.
 *
 * Why the OpenTelemetry Prometheus exporter rather than prom-client: the library records
 * through the OpenTelemetry API (SPEC 13), so the SDK must be there anyway; its serializer
 * turns the same data into Prometheus text with the semantic-convention names
 * (`http_server_request_duration_seconds`), with no second metrics model to keep in step.
 * prom-client's cluster aggregation is replaced by ./metrics-merge.ts, which sums the workers'
 * data points in the SDK's own data model before serializing once.
 */
import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';

export interface LocalMetrics {
  /** Everything recorded so far in this process (cumulative), as plain data (structured-clone safe). */
  collect(): Promise<ScopeMetrics[]>;
  shutdown(): Promise<void>;
}

/** Registers a MeterProvider globally for this process and returns its reader. */
export async function installMetrics(): Promise<LocalMetrics> {
  const [{ metrics }, { MeterProvider }, { PrometheusExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
  ]);
  // The exporter is a pull MetricReader; its own HTTP server stays off (the admin server serves).
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return {
    async collect() {
      const { resourceMetrics } = await reader.collect();
      // A JSON round trip: what crosses the cluster's IPC channel is exactly this plain data.
      return JSON.parse(JSON.stringify(resourceMetrics.scopeMetrics)) as ScopeMetrics[];
    },
    async shutdown() {
      await provider.shutdown();
      metrics.disable();
    },
  };
}

/** Prometheus text exposition (format 0.0.4) of the given (merged) metrics. */
export async function prometheusText(scopeMetrics: ScopeMetrics[]): Promise<string> {
  const [{ PrometheusSerializer }, { resourceFromAttributes }] = await Promise.all([import('@opentelemetry/exporter-prometheus'), import('@opentelemetry/resources')]);
  const serializer = new PrometheusSerializer('', false, undefined, false, true);
  return serializer.serialize({ resource: resourceFromAttributes({ 'service.name': 'af-routes' }), scopeMetrics });
}
