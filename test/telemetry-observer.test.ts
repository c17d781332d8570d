/**
 * The proxy observer (src/telemetry/observer.ts) without a proxy around it: what one request's
 * start, route, attempts and end record. The default recorder resolves the provider once per
 * request (its fast path); a host's own `RouteMetrics` still gets records; a provider
 * registered, replaced or removed between requests is followed; nothing registered means no
 * observation at all.
 */
import { metrics, type Attributes } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../src/telemetry/metric-names.js';
import type { AttemptRecord, RequestRecord, RouteMetrics } from '../src/telemetry/metrics.js';
import { createProxyObserver } from '../src/telemetry/observer.js';

class Reader extends sdk.MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** A host's SDK registered as the global provider, and a way to read what it recorded. */
function register(): { reader: Reader; provider: sdk.MeterProvider } {
  const reader = new Reader();
  const provider = new sdk.MeterProvider({ readers: [reader] });
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  return { reader, provider };
}

/** The histogram's data points: attributes and count. */
async function histogram(reader: Reader, name: string): Promise<{ attributes: Attributes; count: number }[]> {
  const { resourceMetrics } = await reader.collect();
  const m = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
  return (m?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, count: (p.value as { count: number }).count }));
}

const noHeaders = () => undefined;

/** One request through the observer: routed (or not), `attempts` attempts, then its end. */
function request(
  observer: ReturnType<typeof createProxyObserver>,
  opts: { method?: string; route?: string; attempts?: (number | undefined)[]; status?: number; error?: string },
): boolean {
  const o = observer.start(opts.method ?? 'GET', '/api/a', noHeaders);
  if (o === null) return false;
  if (opts.route !== undefined) o.route(opts.route);
  for (const status of opts.attempts ?? []) o.attempt(opts.method ?? 'GET', 'http://10.0.0.5:8080', {}).end(status, status === undefined ? 'connect-refused' : undefined);
  o.end(opts.status ?? 200, 12.5, opts.error, 10, 20);
  return true;
}

afterEach(() => metrics.disable());

describe('createProxyObserver', () => {
  it('observes nothing while no provider is registered', () => {
    expect(request(createProxyObserver(), { route: '/api/*', attempts: [200] })).toBe(false);
  });

  it("records each request and attempt on the host's SDK, with the route, method, status and upstream address", async () => {
    const { reader, provider } = register();
    const observer = createProxyObserver();
    expect(request(observer, { route: '/api/*', attempts: [503, 200] })).toBe(true);
    request(observer, { route: '/api/*', attempts: [200] });
    request(observer, { method: 'POST', route: '/api/*', attempts: [undefined], status: 502, error: 'upstream-error' });
    request(observer, { method: 'BREW', status: 404, error: 'no-route' });
    const server = await histogram(reader, METRIC.serverDuration);
    expect(server).toEqual(
      expect.arrayContaining([
        { attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.route': '/api/*' }, count: 2 },
        { attributes: { 'http.request.method': 'POST', 'http.response.status_code': 502, 'http.route': '/api/*', 'error.type': 'upstream-error' }, count: 1 },
        { attributes: { 'http.request.method': '_OTHER', 'http.response.status_code': 404, 'error.type': 'no-route' }, count: 1 },
      ]),
    );
    expect(server).toHaveLength(3);
    const client = await histogram(reader, METRIC.clientDuration);
    const upstream = { 'server.address': '10.0.0.5', 'server.port': 8080, 'http.route': '/api/*' };
    expect(client).toEqual(
      expect.arrayContaining([
        { attributes: { 'http.request.method': 'GET', ...upstream, 'http.response.status_code': 503 }, count: 1 },
        { attributes: { 'http.request.method': 'GET', ...upstream, 'http.response.status_code': 200 }, count: 2 },
        { attributes: { 'http.request.method': 'POST', ...upstream, 'error.type': 'connect-refused' }, count: 1 },
      ]),
    );
    expect(client).toHaveLength(3);
    await provider.shutdown();
  });

  it('follows the provider registered when each request starts', async () => {
    const observer = createProxyObserver();
    const first = register();
    request(observer, { route: '/a', attempts: [200] });
    metrics.disable();
    expect(request(observer, { route: '/a', attempts: [200] })).toBe(false);
    const second = register();
    request(observer, { route: '/b', attempts: [200] });
    request(observer, { route: '/b', attempts: [200] });
    expect((await histogram(first.reader, METRIC.serverDuration)).map((p) => [p.attributes['http.route'], p.count])).toEqual([['/a', 1]]);
    expect((await histogram(second.reader, METRIC.serverDuration)).map((p) => [p.attributes['http.route'], p.count])).toEqual([['/b', 2]]);
    await first.provider.shutdown();
    await second.provider.shutdown();
  });

  it("gives a host's own recorder one record per request and per attempt", () => {
    register();
    const requests: RequestRecord[] = [];
    const attempts: AttemptRecord[] = [];
    const own: RouteMetrics = { active: () => true, emit() {}, recordRequest: (r) => requests.push(r), recordAttempt: (r) => attempts.push(r) };
    request(createProxyObserver(own), { route: '/api/*', attempts: [503, 200] });
    expect(requests).toEqual([{ method: 'GET', route: '/api/*', status: 200, seconds: 0.0125, error: undefined, bytesIn: 10, bytesOut: 20 }]);
    expect(attempts.map(({ seconds, ...r }) => (expect(seconds).toBeGreaterThanOrEqual(0), r))).toEqual([
      { method: 'GET', route: '/api/*', origin: 'http://10.0.0.5:8080', status: 503, error: undefined },
      { method: 'GET', route: '/api/*', origin: 'http://10.0.0.5:8080', status: 200, error: undefined },
    ]);
  });

  it("does not observe for a host's recorder that is inactive, with no tracer", () => {
    register();
    const own: RouteMetrics = { active: () => false, emit() {}, recordRequest: () => expect.unreachable(), recordAttempt: () => expect.unreachable() };
    expect(request(createProxyObserver(own), { route: '/api/*', attempts: [200] })).toBe(false);
  });
});
