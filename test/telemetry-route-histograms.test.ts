/**
 * The duration histograms `af-routes serve` aggregates outside the OpenTelemetry SDK
 * (src/telemetry/route-histograms.ts, exported by src/cli/metrics-sdk.ts): the law is that
 * they export exactly what the SDK's own histogram would, for any sequence of records. Same
 * instrument, same data points (attributes, bucket counts, count, sum, min, max), same
 * Prometheus text. And the gateway's recorder uses them only on `serve`'s own provider.
 */
import type { Attributes } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationsProducer, histogramData } from '../src/cli/metrics-sdk.js';
import { DURATION_BUCKETS_SECONDS, DURATION_HISTOGRAMS } from '../src/telemetry/metric-names.js';
import { aggregateDurations, bucketIndex, durationsOf, PlainHistogram } from '../src/telemetry/route-histograms.js';

class Reader extends sdk.MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const d = DURATION_HISTOGRAMS.server;

/** Attribute sets, some the same set as another in a different object or key order. */
const GET_200: Attributes = { 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.route': '/api/*' };
const POOL: Attributes[] = [
  GET_200,
  { 'http.route': '/api/*', 'http.response.status_code': 200, 'http.request.method': 'GET' },
  { ...GET_200 },
  { 'http.request.method': 'POST', 'http.response.status_code': 502, 'http.route': '/users/:id', 'error.type': 'upstream-error' },
  { 'http.request.method': 'GET', 'http.response.status_code': 404 },
  {},
];

/** Values on, around and between the bounds, beyond the last, negative, zero, NaN. */
const value = fc.oneof(
  fc.constantFrom(...DURATION_BUCKETS_SECONDS),
  fc.constantFrom(...DURATION_BUCKETS_SECONDS).map((b) => b + Number.EPSILON * 8),
  fc.constantFrom(0, -0, -1, 10.5, 1e6, Number.NaN),
  fc.double({ min: 0, max: 12, noNaN: true }),
);
const records = fc.array(fc.tuple(value, fc.nat({ max: POOL.length - 1 }), fc.boolean()), { maxLength: 200 });

/** What the SDK exports for these records, and what the plain histogram does. */
async function both(list: [number, number, boolean][]): Promise<{ theirs: sdk.MetricData; ours: sdk.MetricData | null }> {
  const reader = new Reader();
  const provider = new sdk.MeterProvider({ readers: [reader] });
  const histogram = provider
    .getMeter('@alternatefutures/routing-core')
    .createHistogram(d.name, { unit: d.unit, description: d.description, valueType: 1, advice: { explicitBucketBoundaries: [...d.boundaries] } });
  const plain = new PlainHistogram(d);
  for (const [v, i, copy] of list) {
    // A fresh copy of the set now and then: equal sets share a series whatever the object.
    const attributes = copy ? { ...POOL[i]! } : POOL[i]!;
    histogram.record(v, attributes);
    plain.record(v, attributes);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return { theirs: resourceMetrics.scopeMetrics[0]?.metrics[0] as sdk.MetricData, ours: histogramData(sdk, plain, Date.now()) };
}

const sortedKey = (a: Attributes) => JSON.stringify(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : 1)));
const points = (m: sdk.MetricData) =>
  [...m.dataPoints].map((p) => ({ attributes: p.attributes, value: p.value })).sort((a, b) => (sortedKey(a.attributes) < sortedKey(b.attributes) ? -1 : 1));

function prometheus(m: sdk.MetricData): string {
  const serializer = new PrometheusSerializer('', false, undefined, false, true);
  return serializer.serialize({ resource: resourceFromAttributes({ 'service.name': 'af-routes' }), scopeMetrics: [{ scope: { name: 'x' }, metrics: [m] }] });
}

describe('PlainHistogram', () => {
  it('exports what the SDK histogram exports, for any records', async () => {
    await fc.assert(
      fc.asyncProperty(records, async (list) => {
        const { theirs, ours } = await both(list);
        const recorded = list.some(([v]) => !(v < 0));
        if (!recorded) {
          // Nothing recorded, or only negative values (which the SDK drops): neither has a data point.
          expect(ours).toBeNull();
          expect(theirs?.dataPoints.length ?? 0).toBe(0);
          return;
        }
        expect(ours).not.toBeNull();
        expect(ours!.descriptor).toEqual(theirs.descriptor);
        expect(ours!.dataPointType).toBe(theirs.dataPointType);
        expect(ours!.aggregationTemporality).toBe(theirs.aggregationTemporality);
        expect(points(ours!)).toEqual(points(theirs));
        expect(prometheus(ours!).split('\n').sort()).toEqual(prometheus(theirs).split('\n').sort());
      }),
      { numRuns: 150 },
    );
  });

  it('puts a value in the first bucket whose bound is at least the value', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => {
        const i = bucketIndex(DURATION_BUCKETS_SECONDS, v);
        if (i < DURATION_BUCKETS_SECONDS.length) expect(v).toBeLessThanOrEqual(DURATION_BUCKETS_SECONDS[i]!);
        else expect(v).toBeGreaterThan(DURATION_BUCKETS_SECONDS.at(-1)!);
        if (i > 0) expect(v).toBeGreaterThan(DURATION_BUCKETS_SECONDS[i - 1]!);
      }),
    );
  });

  it('sends attribute sets past the SDK cardinality limit to its overflow series', () => {
    const h = new PlainHistogram(d);
    for (let i = 0; i < 2100; i++) h.record(0.01, { 'http.route': `/r/${i}` });
    const series = h.series();
    expect(series).toHaveLength(2000);
    expect(series.at(-1)).toMatchObject({ attributes: { 'otel.metric.overflow': true }, count: 101 });
    expect(series.reduce((n, s) => n + s.count, 0)).toBe(2100);
  });
});

describe('durations aggregated for a provider', () => {
  it('are registered for that provider only, and its producer exports them as one scope', async () => {
    const provider = new sdk.MeterProvider();
    const other = new sdk.MeterProvider();
    const durations = aggregateDurations(provider);
    expect(durationsOf(provider)).toBe(durations);
    expect(durationsOf(other)).toBeUndefined();
    const producer = durationsProducer(sdk, () => durations);
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toEqual([]);
    durations.server.record(0.02, GET_200);
    durations.client.record(0.01, { 'server.address': '10.0.0.1', 'server.port': 8080 });
    const { scopeMetrics } = (await producer.collect()).resourceMetrics;
    expect(scopeMetrics).toHaveLength(1);
    expect(scopeMetrics[0]!.scope.name).toBe('@alternatefutures/routing-core');
    expect(scopeMetrics[0]!.metrics.map((m) => m.descriptor.name)).toEqual([DURATION_HISTOGRAMS.server.name, DURATION_HISTOGRAMS.client.name]);
  });
});
