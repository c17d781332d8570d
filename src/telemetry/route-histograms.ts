/**
 * The two duration histograms (`http.server.request.duration`, `http.client.request.duration`)
 * aggregated in plain numbers, for a process whose MeterProvider is `af-routes serve`'s own
 * (src/cli/metrics-sdk.ts exports them through a MetricProducer on its reader).
 *
 * Why: the OpenTelemetry JS SDK hashes the attributes of every `record()` (sort the keys,
 * `JSON.stringify` them, look the string up in a Map), whatever the caller caches: two records
 * per proxied request were the largest single cost of metrics in the gateway
 * (bench/results/notes-observability.md, "Session 22"). Here a record is a Map lookup by the
 * attribute object (./metrics.ts hands the same cached object for the same attribute set), a
 * binary search in the bucket bounds and four additions.
 *
 * The aggregation is the SDK's own (explicit-bucket histogram, cumulative): same bounds, a
 * value falls in the first bucket whose bound is >= it, negative values and NaN are not counted, count, sum, min and max
 * kept (test/telemetry-route-histograms.test.ts checks the exported data equals the SDK's for
 * generated records). A host's own SDK never sees this path: without `af-routes serve`'s
 * provider the histograms are recorded through the API as before. No SDK import here: the
 * library stays on `@opentelemetry/api` alone.
 */
import type { Attributes } from '@opentelemetry/api';
import { DURATION_HISTOGRAMS, type DurationHistogram } from './metric-names.js';

/** One attribute set's aggregate (what the SDK's histogram data point holds). */
export interface HistogramSeries {
  readonly attributes: Attributes;
  /** When the series got its first value (ms since the epoch): the data point's start time. */
  readonly startMs: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** One more than the bounds: the last counts values above the last bound. */
  readonly counts: number[];
}

/** A histogram instrument's description (the SDK's instrument descriptor, less the type). */
export type HistogramDescription = DurationHistogram;

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The SDK's default cardinality limit: past 1,999 attribute sets, values go to one overflow
 * series (`otel.metric.overflow: true`). Kept so the exported data is the SDK's in every case.
 */
const CARDINALITY_LIMIT = 2000 - 1;
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });
/** Attribute objects remembered for the fast path, at most (a caller building a fresh object per record still gets right answers, by key). */
const OBJECTS_REMEMBERED = 10_000;

/** The index of the first bound >= value (bounds.length when none): the SDK's `binarySearchUB`. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  let found = bounds.length;
  while (hi >= lo) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid]! < value) lo = mid + 1;
    else {
      found = mid;
      hi = mid - 1;
    }
  }
  return found;
}

/** The SDK's attribute-set identity: keys sorted, then their values. */
function attributesKey(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
}

/** A histogram with the `record(value, attributes)` of the API's `Histogram`. */
export class PlainHistogram {
  /** By attribute object: the fast path, as callers reuse one object per attribute set. */
  private readonly byObject = new Map<Attributes, HistogramSeries>();
  /** By attribute set: so that two objects with equal attributes share one series. */
  private readonly byKey = new Map<string, HistogramSeries>();

  constructor(readonly description: HistogramDescription) {}

  record(value: number, attributes: Attributes = NO_ATTRIBUTES): void {
    // The SDK's histogram ignores negative values and non-numbers (with a diagnostic); NaN
    // creates the series (a data point of count 0) but is not counted.
    if (typeof value !== 'number' || value < 0) return;
    const s = this.byObject.get(attributes) ?? this.newSeries(attributes);
    if (Number.isNaN(value)) return;
    s.count += 1;
    s.sum += value;
    // Math.min/max as the SDK does (they order -0 below 0, which `<` does not).
    s.min = Math.min(value, s.min);
    s.max = Math.max(value, s.max);
    s.counts[bucketIndex(this.description.boundaries, value)]! += 1;
  }

  private newSeries(attributes: Attributes): HistogramSeries {
    const key = attributesKey(attributes);
    let s = this.byKey.get(key);
    if (s === undefined) {
      if (this.byKey.size >= CARDINALITY_LIMIT) return this.overflow();
      s = this.create(key, attributes);
    }
    if (this.byObject.size < OBJECTS_REMEMBERED) this.byObject.set(attributes, s);
    return s;
  }

  private overflow(): HistogramSeries {
    const key = attributesKey(OVERFLOW);
    return this.byKey.get(key) ?? this.create(key, OVERFLOW);
  }

  private create(key: string, attributes: Attributes): HistogramSeries {
    // A copy: the caller's object may change after this.
    const s = {
      attributes: { ...attributes },
      startMs: Date.now(),
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      counts: new Array<number>(this.description.boundaries.length + 1).fill(0),
    };
    this.byKey.set(key, s);
    return s;
  }

  /** Every series recorded so far (cumulative), in the order they first appeared. */
  series(): HistogramSeries[] {
    return [...this.byKey.values()];
  }
}

/** The duration histograms of one MeterProvider. */
export interface RouteHistograms {
  readonly server: PlainHistogram;
  readonly client: PlainHistogram;
}

/** Providers whose duration histograms are aggregated here (only `af-routes serve`'s). */
const byProvider = new WeakMap<object, RouteHistograms>();

/**
 * Aggregates the duration histograms of `provider` here rather than through its SDK: what the
 * metrics record while `provider` is the global one. The caller exports them (a MetricProducer).
 */
export function aggregateDurations(provider: object): RouteHistograms {
  const h = { server: new PlainHistogram(DURATION_HISTOGRAMS.server), client: new PlainHistogram(DURATION_HISTOGRAMS.client) };
  byProvider.set(provider, h);
  return h;
}

/** The plain histograms registered for `provider`, or undefined (record through the API). */
export function durationsOf(provider: object): RouteHistograms | undefined {
  return byProvider.get(provider);
}
