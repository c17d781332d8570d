/**
 * Sums the metrics of several worker processes into one set (what the admin `/metrics` of a
 * `--workers N` gateway shows): counters and histograms add up per metric and attribute set,
 * bucket by bucket. Every worker records cumulative values with the same instruments and
 * bucket boundaries, so the sum is exact. A worker that crashed takes its counts with it (as
 * prom-client's cluster aggregation does); Prometheus' `rate()` treats the drop as a reset.
 */
import type { DataPoint, Histogram, MetricData, ScopeMetrics } from '@opentelemetry/sdk-metrics';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Point = Mutable<DataPoint<number | Histogram>>;

function attributesKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
}

type Time = DataPoint<number>['startTime'];

function before(a: Time, b: Time): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
}

function addPoint(into: Point, p: Point): void {
  if (before(p.startTime, into.startTime)) into.startTime = p.startTime;
  if (before(into.endTime, p.endTime)) into.endTime = p.endTime;
  if (typeof into.value === 'number') {
    into.value += p.value as number;
    return;
  }
  const a = into.value;
  const b = p.value as Histogram;
  const same = a.buckets.boundaries.length === b.buckets.boundaries.length && a.buckets.boundaries.every((x, i) => x === b.buckets.boundaries[i]);
  if (!same) throw new Error('metrics-merge: histogram bucket boundaries differ between workers');
  a.buckets.counts = a.buckets.counts.map((c, i) => c + b.buckets.counts[i]!);
  a.count += b.count;
  if (a.sum !== undefined && b.sum !== undefined) a.sum += b.sum;
  if (b.min !== undefined) a.min = a.min === undefined ? b.min : Math.min(a.min, b.min);
  if (b.max !== undefined) a.max = a.max === undefined ? b.max : Math.max(a.max, b.max);
}

/** One ScopeMetrics list from several processes' lists (inputs are not modified). */
export function mergeScopeMetrics(lists: readonly ScopeMetrics[][]): ScopeMetrics[] {
  const scopes = new Map<string, { scope: ScopeMetrics['scope']; metrics: Map<string, { metric: MetricData; points: Map<string, Point> }> }>();
  for (const list of lists) {
    for (const sm of list) {
      let scope = scopes.get(sm.scope.name);
      if (scope === undefined) scopes.set(sm.scope.name, (scope = { scope: sm.scope, metrics: new Map() }));
      for (const metric of sm.metrics) {
        let entry = scope.metrics.get(metric.descriptor.name);
        if (entry === undefined) scope.metrics.set(metric.descriptor.name, (entry = { metric, points: new Map() }));
        for (const point of metric.dataPoints as Point[]) {
          const key = attributesKey(point.attributes);
          const have = entry.points.get(key);
          if (have === undefined) entry.points.set(key, structuredClone(point));
          else addPoint(have, point);
        }
      }
    }
  }
  return [...scopes.values()].map(({ scope, metrics }) => ({
    scope,
    metrics: [...metrics.values()].map(({ metric, points }) => ({ ...metric, dataPoints: [...points.values()] }) as MetricData),
  }));
}
