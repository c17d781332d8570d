/**
 * The sum of the workers' metrics (src/cli/metrics-merge.ts), the law behind `/metrics` with
 * `--workers N`: recording observations in N processes and merging their data gives what one
 * process recording all of them gives, whatever the split and the order of the workers.
 */
import { MeterProvider, MetricReader, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeScopeMetrics } from '../src/cli/metrics-merge.js';
import { DURATION_BUCKETS_SECONDS } from '../src/telemetry/metric-names.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Observation {
  route: string;
  status: number;
  seconds: number;
}

/** What one process with its own MeterProvider collects after recording `observations`. */
async function record(observations: readonly Observation[]): Promise<ScopeMetrics[]> {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('@alternatefutures/routing-core');
  const histogram = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] } });
  const counter = meter.createCounter('routing.no_route');
  for (const o of observations) {
    histogram.record(o.seconds, { 'http.route': o.route, 'http.response.status_code': o.status });
    if (o.status === 404) counter.add(1);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return JSON.parse(JSON.stringify(resourceMetrics.scopeMetrics)) as ScopeMetrics[];
}

/** The comparable content: per metric and attribute set, the value (counts, buckets, sum rounded). */
function content(scopes: ScopeMetrics[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sm of scopes) {
    for (const m of sm.metrics) {
      for (const p of m.dataPoints) {
        const key = `${m.descriptor.name} ${JSON.stringify(Object.entries(p.attributes).sort())}`;
        const v = p.value as number | { count: number; sum?: number; min?: number; max?: number; buckets: { counts: number[] } };
        out[key] = typeof v === 'number' ? v : { count: v.count, sum: Math.round((v.sum ?? 0) * 1e6), min: v.min, max: v.max, counts: v.buckets.counts };
      }
    }
  }
  return out;
}

const observation = fc.record({
  route: fc.constantFrom('/api/*', '/users/:id', '/'),
  status: fc.constantFrom(200, 404, 502),
  seconds: fc.double({ min: 0, max: 20, noNaN: true }),
});

describe('mergeScopeMetrics', () => {
  it('merging the workers equals one process recording everything, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(observation, fc.nat(3)), { maxLength: 60 }), async (tagged) => {
        const workers: Observation[][] = [[], [], [], []];
        for (const [o, w] of tagged) workers[w]!.push(o);
        const parts = await Promise.all(workers.map(record));
        const whole = content(await record(tagged.map(([o]) => o)));
        expect(content(mergeScopeMetrics(parts))).toEqual(whole);
        expect(content(mergeScopeMetrics([...parts].reverse()))).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('does not modify its inputs and refuses histograms with different buckets', async () => {
    const a = await record([{ route: '/api/*', status: 200, seconds: 0.01 }]);
    const copy = JSON.parse(JSON.stringify(a));
    mergeScopeMetrics([a, a]);
    expect(a).toEqual(copy);
    const other = JSON.parse(JSON.stringify(a)) as ScopeMetrics[];
    const h = other[0]!.metrics[0]!.dataPoints[0]!.value as { buckets: { boundaries: number[] } };
    h.buckets.boundaries = [1, 2];
    expect(() => mergeScopeMetrics([a, other])).toThrow(/bucket boundaries differ/);
  });
});
