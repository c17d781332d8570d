/**
 * Spans (SPEC 13) with the OpenTelemetry SDK's in-memory exporter: one server span per request
 * and one client span per upstream attempt, the client span a child of the server span, the
 * server span a child of the incoming `traceparent`, and the client span's context reaching the
 * upstream as `traceparent`. Real servers on 127.0.0.1; the fetch handler too (given the
 * observer: the portable entry imports no dependency, so it is passed in).
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createUndiciTransport } from '../src/index.js';
import { defaultObserver } from '../src/telemetry/observer.js';
import { formatTraceparent, parseTraceparent } from '../src/telemetry/trace.js';
import { startGateway, type RunningGateway } from './support/gateway.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let upstream: TestServer;
let gateway: RunningGateway;
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  upstream = await startServer((req, res) => {
    seen.push(req.headers['traceparent'] as string | undefined);
    res.end('ok');
  });
  gateway = await startGateway({ '/api/*': upstream.url });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
  trace.disable();
});

beforeEach(() => {
  exporter.reset();
  seen.length = 0;
});

const INCOMING = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Waits for the access log of `n` requests (spans end when the response closes). */
async function settled(n: number): Promise<void> {
  for (let i = 0; i < 100 && exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('spans of the Node proxy', () => {
  it('makes one server span and one client span per request, parent/child, traceparent upstream', async () => {
    const requests = 5;
    for (let i = 0; i < requests; i++) {
      const r = await rawRequest(gateway.url, { path: `/api/${i}`, headers: { traceparent: INCOMING } });
      expect(r.status).toBe(200);
    }
    await settled(requests);
    const spans = exporter.getFinishedSpans();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(servers).toHaveLength(requests);
    expect(clients).toHaveLength(requests);
    for (const server of servers) {
      // The server span continues the caller's trace.
      expect(server.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(server.name).toBe('GET /api/*');
      expect(server.attributes['http.route']).toBe('/api/*');
      expect(server.attributes['http.response.status_code']).toBe(200);
      const children = clients.filter((c) => c.parentSpanContext?.spanId === server.spanContext().spanId);
      expect(children).toHaveLength(1);
      const client = children[0]!;
      expect(client.attributes['server.address']).toBe('127.0.0.1');
      expect(client.attributes['server.port']).toBe(upstream.port);
      // The upstream saw the client span as its parent.
      expect(seen).toContain(formatTraceparent(client.spanContext()));
    }
  });

  it('starts a new trace when the request has no traceparent, and sends one upstream', async () => {
    await rawRequest(gateway.url, { path: '/api/x' });
    await settled(1);
    const [server] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    const [client] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(server!.parentSpanContext).toBeUndefined();
    expect(client!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(parseTraceparent(seen[0])?.spanId).toBe(client!.spanContext().spanId);
  });

  it('makes a server span but no client span for a request no route takes', async () => {
    const r = await rawRequest(gateway.url, { path: '/nowhere', headers: { traceparent: INCOMING } });
    expect(r.status).toBe(404);
    await settled(1);
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1);
    expect(spans.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
    expect(spans[0]!.attributes['http.response.status_code']).toBe(404);
  });
});

describe('spans of the fetch handler', () => {
  it('makes a server and a client span per request and forwards traceparent, given the observer', async () => {
    const transport = createUndiciTransport();
    const handler = createFetchHandler({ router: compile({ '/api/*': upstream.url }, { backend: 'js' }), transport, fallthrough: false, observer: defaultObserver() });
    try {
      const res = await handler(new Request('http://gw.test/api/1', { headers: { traceparent: INCOMING } }));
      expect(res!.status).toBe(200);
      await res!.text();
      const spans = exporter.getFinishedSpans();
      const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
      const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
      expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
      expect(seen[0]).toBe(formatTraceparent(client.spanContext()));
    } finally {
      await transport.close();
    }
  });
});

describe('traceparent parsing', () => {
  it('accepts the W3C example and rejects malformed or all-zero ids', () => {
    expect(parseTraceparent(INCOMING)).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    for (const bad of [
      '',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
  });
});
