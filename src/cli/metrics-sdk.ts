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
import { ValueType, type HrTime } from '@opentelemetry/api';
import type { MetricData, MetricProducer, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { INSTRUMENTATION_SCOPE } from '../telemetry/otel.js';
import { aggregateDurations, type PlainHistogram, type RouteHistograms } from '../telemetry/route-histograms.js';
import { mergeScopeMetrics } from './metrics-merge.js';

export interface LocalMetrics {
  /** Everything recorded so far in this process (cumulative), as plain data (structured-clone safe). */
  collect(): Promise<ScopeMetrics[]>;
  shutdown(): Promise<void>;
}

type Sdk = typeof import('@opentelemetry/sdk-metrics');

const hrTime = (ms: number): HrTime => [Math.trunc(ms / 1000), Math.round((ms % 1000) * 1e6)];

/** One plain histogram as the SDK's MetricData (cumulative, explicit buckets), or null before its first value. */
export function histogramData(sdk: Sdk, h: PlainHistogram, endMs: number): MetricData | null {
  const series = h.series();
  if (series.length === 0) return null;
  const d = h.description;
  const endTime = hrTime(endMs);
  return {
    // The SDK's own descriptor of a histogram instrument carries its type and advice too.
    descriptor: {
      name: d.name,
      description: d.description,
      unit: d.unit,
      type: sdk.InstrumentType.HISTOGRAM,
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [...d.boundaries] },
    } as MetricData['descriptor'],
    aggregationTemporality: sdk.AggregationTemporality.CUMULATIVE,
    dataPointType: sdk.DataPointType.HISTOGRAM,
    dataPoints: series.map((s) => ({
      attributes: s.attributes,
      startTime: hrTime(s.startMs),
      endTime,
      value: {
        min: s.count > 0 ? s.min : undefined,
        max: s.count > 0 ? s.max : undefined,
        sum: s.sum,
        buckets: { boundaries: [...d.boundaries], counts: [...s.counts] },
        count: s.count,
      },
    })),
  };
}

/** The duration histograms aggregated by ./../telemetry/route-histograms.ts, for the reader to collect with the SDK's own. */
export function durationsProducer(sdk: Sdk, durations: () => RouteHistograms): MetricProducer {
  return {
    async collect() {
      const now = Date.now();
      const { server, client } = durations();
      const metrics = [histogramData(sdk, server, now), histogramData(sdk, client, now)].filter((m): m is MetricData => m !== null);
      return { resourceMetrics: { resource: undefined as never, scopeMetrics: metrics.length === 0 ? [] : [{ scope: { name: INSTRUMENTATION_SCOPE }, metrics }] }, errors: [] };
    },
  };
}

/** Registers a MeterProvider globally for this process and returns its reader. */
export async function installMetrics(): Promise<LocalMetrics> {
  const [{ metrics }, sdk, { PrometheusExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
  ]);
  // The exporter is a pull MetricReader; its own HTTP server stays off (the admin server serves).
  // The duration histograms are aggregated outside the SDK (the reader collects them through
  // a MetricProducer): bench/results/notes-observability.md, "Session 22".
  // (The producer reads `durations` at collection time, after it is set below.)
  const reader = new PrometheusExporter({ preventServerStart: true, metricProducers: [durationsProducer(sdk, () => durations)] });
  const provider = new sdk.MeterProvider({ readers: [reader] });
  const durations = aggregateDurations(provider);
  metrics.setGlobalMeterProvider(provider);
  return {
    async collect() {
      const { resourceMetrics } = await reader.collect();
      // One scope (the SDK's instruments and the producer's histograms share the package's
      // name), and a JSON round trip: what crosses the cluster's IPC channel is exactly this plain data.
      return JSON.parse(JSON.stringify(mergeScopeMetrics([resourceMetrics.scopeMetrics]))) as ScopeMetrics[];
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
