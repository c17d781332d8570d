/**
 * Metrics end to end (SPEC 13): a gateway served as `af-routes serve --admin-port` serves it
 * (in process: the same startServing), a scripted run of hits, misses, 405s and invalid paths,
 * then the admin `/metrics` text parsed by a Prometheus text parser: every counter equals the
 * number of requests of its kind and the duration histograms have the documented buckets.
 * Routing events that no stage emits yet on this branch (retries, rate limits, cache, auth,
 * ejections) are sent to the recorder the proxy feeds, and counted the same way.
 */
import { metrics } from '@opentelemetry/api';
import parse, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessLog } from '../src/cli/access-log.js';
import { routesDocument } from '../src/cli/admin-routes.js';
import { createHealthBoard } from '../src/telemetry/health-board.js';
import { serveSettings } from '../src/cli/serve-settings.js';
import { startServing, type Serving } from '../src/cli/serving.js';
import type { Io } from '../src/cli/commands.js';
import { compile, type Router } from '../src/index.js';
import { DURATION_BUCKETS_SECONDS } from '../src/telemetry/metric-names.js';
import { defaultObserver } from '../src/telemetry/observer.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

const io: Io = { out: () => {}, err: () => {} };
let upstream: TestServer;
let serving: Serving;
let router: Router;

/**
 * `/admin-only/*` serves GET alone. Route objects with `methods` do not validate on this
 * branch yet, so the table's router is wrapped: it refuses other methods exactly as a route
 * with `"methods": ["GET"]` does (match null, allowedMethods GET, HEAD), through the real pipeline.
 */
function getOnly(base: Router, prefix: string): Router {
  return Object.create(base, {
    match: { value: (path: string, req?: { method?: string }) => (path.startsWith(prefix) && req?.method !== 'GET' && req?.method !== 'HEAD' ? null : base.match(path, req)) },
    allowedMethods: { value: (path: string, req?: { method?: string }) => (path.startsWith(prefix) && req?.method !== 'GET' ? ['GET', 'HEAD'] : base.allowedMethods(path, req)) },
  }) as Router;
}

beforeAll(async () => {
  upstream = await startServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('hello'));
  });
  router = getOnly(compile({ '/api/*': upstream.url, '/admin-only/*': upstream.url, '/users/:id': upstream.url }, { backend: 'js' }), '/admin-only');
  const settings = { ...serveSettings({ 'admin-port': '0', 'access-log': 'off' }) };
  const log = await createAccessLog('off', io);
  serving = await startServing({ routes: null, router: () => router, source: 'test table', host: '127.0.0.1', port: 0, settings, log, io });
});

afterAll(async () => {
  await serving.close();
  await upstream.close();
  metrics.disable();
});

async function scrape(): Promise<string> {
  const r = await rawRequest(serving.adminUrl!, { path: '/metrics' });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body.toString();
}

interface HistogramSeries {
  labels: Record<string, string>;
  count: number;
  buckets: Record<string, number>;
}

/**
 * The series of a histogram, one per label set. parse-prometheus-text-format folds every
 * labelled series of a histogram into one (it expects one unlabelled series), so the family is
 * parsed as untyped, each of `_count` and `_bucket` then its own family with every label kept.
 */
function histogram(text: string, name: string): HistogramSeries[] {
  const families = parse(text.split(`# TYPE ${name} histogram`).join(`# TYPE ${name} untyped`));
  const key = (labels: Record<string, string> = {}) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([k]) => k !== 'le')
        .sort(),
    );
  const series = new Map<string, HistogramSeries>();
  // Untyped, each run of `_count`, `_sum` and `_bucket` lines (one per label set) is a family of its own.
  const all = (n: string) => families.filter((f) => f.name === n).flatMap((f) => f.metrics);
  for (const s of all(`${name}_count`)) series.set(key(s.labels), { labels: s.labels ?? {}, count: Number(s.value), buckets: {} });
  for (const s of all(`${name}_bucket`)) series.get(key(s.labels))!.buckets[s.labels!['le']!] = Number(s.value);
  expect(series.size).toBeGreaterThan(0);
  return [...series.values()];
}

function histogramTotal(series: HistogramSeries[], labels: Record<string, string> = {}): number {
  return series.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.count, 0);
}

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no metric family ${name} in: ${families.map((x) => x.name).join(', ')}`);
  return f;
}

/** The sum of a counter's samples (or a histogram's counts) whose labels include `labels`. */
function total(f: PrometheusFamily, labels: Record<string, string> = {}): number {
  let n = 0;
  for (const s of f.metrics) {
    if (!Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)) continue;
    n += Number(f.type === 'HISTOGRAM' ? s.count : s.value);
  }
  return n;
}

describe('the admin /metrics after a scripted run', () => {
  const script = { getHits: 7, postHits: 3, paramHits: 2, misses: 4, notAllowed: 2, invalid: 1 };

  it('counts every request of its kind, with the documented buckets', async () => {
    for (let i = 0; i < script.getHits; i++) expect((await rawRequest(serving.url, { path: `/api/get/${i}` })).status).toBe(200);
    for (let i = 0; i < script.postHits; i++) expect((await rawRequest(serving.url, { method: 'POST', path: '/api/post', body: 'x'.repeat(10) })).status).toBe(200);
    for (let i = 0; i < script.paramHits; i++) expect((await rawRequest(serving.url, { path: `/users/${i}` })).status).toBe(200);
    for (let i = 0; i < script.misses; i++) expect((await rawRequest(serving.url, { path: `/missing/${i}` })).status).toBe(404);
    for (let i = 0; i < script.notAllowed; i++) expect((await rawRequest(serving.url, { method: 'DELETE', path: '/admin-only/x' })).status).toBe(405);
    for (let i = 0; i < script.invalid; i++) expect((await rawRequest(serving.url, { path: '/api/%00' })).status).toBe(400);
    // Events the retry, rate-limit, cache and auth stages emit (not on this branch yet) go to the same recorder.
    const sink = defaultObserver().metrics;
    for (let i = 0; i < 3; i++) sink.emit({ type: 'retry', route: '/api/*', target: upstream.url, attempt: i + 2, reason: 'connect-refused' });
    for (let i = 0; i < 2; i++) sink.emit({ type: 'rate-limited', route: '/api/*', key: `client-${i}` });
    for (const status of ['hit', 'hit', 'miss', 'stale'] as const) sink.emit({ type: 'cache', route: '/api/*', status });
    sink.emit({ type: 'auth-failure', route: '/users/:id', scheme: 'apiKey', reason: 'missing' });
    sink.emit({ type: 'ejection', route: '/api/*', target: upstream.url, forMs: 30_000 });
    // The access log entry (and the metrics) are reported when the response closes: let the last one land.
    await new Promise((r) => setTimeout(r, 50));

    const text = await scrape();
    const families = parse(text);
    expect(family(families, 'http_server_request_duration').type).toBe('HISTOGRAM');
    expect(family(families, 'http_client_request_duration').type).toBe('HISTOGRAM');
    const server = histogram(text, 'http_server_request_duration');
    expect(histogramTotal(server, { http_route: '/api/*', http_request_method: 'GET', http_response_status_code: '200' })).toBe(script.getHits);
    expect(histogramTotal(server, { http_route: '/api/*', http_request_method: 'POST', http_response_status_code: '200' })).toBe(script.postHits);
    expect(histogramTotal(server, { http_route: '/users/:id', http_response_status_code: '200' })).toBe(script.paramHits);
    expect(histogramTotal(server, { http_response_status_code: '404', error_type: 'route-not-found' })).toBe(script.misses);
    expect(histogramTotal(server, { http_response_status_code: '405' })).toBe(script.notAllowed);
    expect(histogramTotal(server, { http_response_status_code: '400' })).toBe(script.invalid);
    expect(histogramTotal(server)).toBe(Object.values(script).reduce((a, b) => a + b, 0));

    const buckets = [...DURATION_BUCKETS_SECONDS.map(String), '+Inf'].sort();
    const client = histogram(text, 'http_client_request_duration');
    for (const series of [...server, ...client]) {
      expect(Object.keys(series.buckets).sort()).toEqual(buckets);
      // Cumulative buckets: +Inf holds every observation.
      expect(series.buckets['+Inf']).toBe(series.count);
    }
    const hits = script.getHits + script.postHits + script.paramHits;
    expect(histogramTotal(client, { server_address: '127.0.0.1', server_port: String(upstream.port) })).toBe(hits);

    expect(total(family(families, 'routing_no_route_total'))).toBe(script.misses);
    expect(total(family(families, 'routing_method_not_allowed_total'), { http_route: '/admin-only/*' })).toBe(script.notAllowed);
    expect(total(family(families, 'routing_retries_total'), { http_route: '/api/*', routing_reason: 'connect-refused' })).toBe(3);
    expect(total(family(families, 'routing_rate_limited_total'), { http_route: '/api/*' })).toBe(2);
    const cache = family(families, 'routing_cache_requests_total');
    expect(total(cache, { routing_cache_status: 'hit' })).toBe(2);
    expect(total(cache, { routing_cache_status: 'miss' })).toBe(1);
    expect(total(cache, { routing_cache_status: 'stale' })).toBe(1);
    expect(total(family(families, 'routing_auth_failures_total'), { http_route: '/users/:id', routing_auth_scheme: 'apiKey' })).toBe(1);
    expect(total(family(families, 'routing_ejections_total'))).toBe(1);
    expect(total(family(families, 'routing_request_bytes_total'), { http_route: '/api/*' })).toBe(script.postHits * 10);
    expect(total(family(families, 'routing_response_bytes_total'), { http_route: '/api/*' })).toBe((script.getHits + script.postHits) * 'hello'.length);

    // /routes: the same counts per route, the table in precedence order, and the ejected target.
    const routes = JSON.parse((await rawRequest(serving.adminUrl!, { path: '/routes' })).body.toString());
    expect(routes.source).toBe('test table');
    expect(routes.routes.map((r: { pattern: string }) => r.pattern)).toEqual(['/admin-only/*', '/api/*', '/users/:id']);
    const api = routes.routes[1].variants[0];
    expect(api.counters).toMatchObject({
      requests: script.getHits + script.postHits,
      upstreamAttempts: script.getHits + script.postHits,
      retries: 3,
      rateLimited: 2,
      cacheHits: 2,
      ejections: 1,
    });
    // Health comes from the gateway's own event sink (the stages emit there), not from this recorder.
    expect(api.targets[0].health).toBeNull();
    expect(routes.routes[0].variants[0].counters.methodNotAllowed).toBe(script.notAllowed);
  });
});

describe('target health in /routes', () => {
  it('shows the last health or ejection event of each target', () => {
    const board = createHealthBoard();
    board.emit({ type: 'health', route: '/api/*', target: upstream.url, healthy: true, source: 'active' });
    board.emit({ type: 'ejection', route: '/api/*', target: upstream.url, forMs: 30_000 });
    board.emit({ type: 'retry', route: '/api/*', target: upstream.url, attempt: 2, reason: 'reset' });
    const doc = routesDocument(router, [], board.list());
    const api = doc.routes.find((r) => r.pattern === '/api/*')!;
    expect(api.variants[0]!.targets[0]!.health).toMatchObject({ healthy: false, source: 'ejection', ejectedForMs: 30_000 });
    expect(doc.routes.find((r) => r.pattern === '/users/:id')!.variants[0]!.targets[0]!.health).toBeNull();
  });
});

describe('the admin server', () => {
  it('binds 127.0.0.1 by default, on its own port', () => {
    expect(new URL(serving.adminUrl!).hostname).toBe('127.0.0.1');
    expect(serving.adminPort).not.toBe(serving.port);
  });

  it('is not reachable through the proxy port', async () => {
    for (const path of ['/metrics', '/routes', '/healthz', '/readyz']) {
      const r = await rawRequest(serving.url, { path });
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body.toString()).error.code).toBe('route-not-found');
    }
  });

  it('answers /healthz, /readyz, and JSON errors for other paths and methods', async () => {
    expect((await rawRequest(serving.adminUrl!, { path: '/healthz' })).status).toBe(200);
    const ready = await rawRequest(serving.adminUrl!, { path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body.toString())).toMatchObject({ status: 'ready', workers: { listening: 1, wanted: 1 } });
    const missing = await rawRequest(serving.adminUrl!, { path: '/nope' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString()).message).toMatch(/\/metrics, \/routes, \/healthz or \/readyz/);
    const post = await rawRequest(serving.adminUrl!, { method: 'POST', path: '/metrics' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });
});
