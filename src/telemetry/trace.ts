/**
 * Spans for the proxy (SPEC 13), only when the host has registered a tracer provider: a server
 * span per request (unless the host's HTTP instrumentation already made one: it is then the
 * parent) and a client span per upstream attempt, its context sent upstream as W3C
 * `traceparent`. Without a tracer the incoming `traceparent`/`tracestate` pass through
 * untouched (they are end-to-end headers).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import type { HeaderRecord } from '../pipeline/headers.js';
import { ATTR } from './metric-names.js';
import { methodAttribute, originAttributes } from './metrics.js';

const HEX = /^[0-9a-f]+$/;

/** Parses a W3C `traceparent` (version 00 and later versions' first four fields), or null. */
export function parseTraceparent(value: string | undefined): SpanContext | null {
  if (value === undefined) return null;
  const parts = value.trim().split('-');
  if (parts.length < 4) return null;
  const [version, traceId, spanId, flags] = parts as [string, string, string, string];
  if (version.length !== 2 || !HEX.test(version) || version === 'ff' || (version === '00' && parts.length !== 4)) return null;
  if (traceId.length !== 32 || !HEX.test(traceId) || /^0+$/.test(traceId)) return null;
  if (spanId.length !== 16 || !HEX.test(spanId) || /^0+$/.test(spanId)) return null;
  if (flags.length !== 2 || !HEX.test(flags)) return null;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 1, isRemote: true };
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) === 1 ? '01' : '00'}`;
}

/** Reads one request header (lower-case name), whatever the transport's header shape. */
export type HeaderGetter = (name: string) => string | undefined;

const GETTER = {
  get: (carrier: HeaderGetter, key: string) => carrier(key.toLowerCase()),
  // Propagators that enumerate keys (none of the W3C ones do) see none.
  keys: () => [],
};

/** The server side of one request: its span (ours or the host's) and the context attempts start in. */
export interface ServerTrace {
  readonly span: Span | null;
  readonly owned: boolean;
  readonly context: Context;
}

/**
 * Starts the request's server span. The parent is the host's active span when there is one
 * (then no span of ours: the host's instrumentation owns the request), else the incoming
 * `traceparent` (through the registered propagator, or read directly when none is set).
 */
export function startServerTrace(tracer: Tracer, method: string, target: string, header: HeaderGetter): ServerTrace {
  const active = context.active();
  const hostSpan = trace.getSpan(active);
  if (hostSpan !== undefined && hostSpan.spanContext().traceId !== '') return { span: hostSpan, owned: false, context: active };
  let parent = propagation.extract(ROOT_CONTEXT, header, GETTER);
  if (trace.getSpan(parent) === undefined) {
    const sc = parseTraceparent(header('traceparent'));
    if (sc !== null) parent = trace.setSpanContext(ROOT_CONTEXT, sc);
  }
  const m = methodAttribute(method);
  const span = tracer.startSpan(m, { kind: SpanKind.SERVER, attributes: { [ATTR.method]: m, 'url.path': target.split('?')[0] } }, parent);
  return { span, owned: true, context: trace.setSpan(parent, span) };
}

/** Names the server span after its route once the route is known (semconv: `{method} {http.route}`). */
export function nameServerTrace(t: ServerTrace, method: string, route: string): void {
  if (!t.owned || t.span === null) return;
  t.span.updateName(`${methodAttribute(method)} ${route}`);
  t.span.setAttribute(ATTR.route, route);
}

export function endServerTrace(t: ServerTrace, status: number, error: string | undefined): void {
  if (!t.owned || t.span === null) return;
  t.span.setAttribute(ATTR.status, status);
  if (status >= 500) t.span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? String(status) });
  if (error !== undefined) t.span.setAttribute(ATTR.errorType, error);
  t.span.end();
}

/**
 * Starts a client span for one upstream attempt, child of the server trace, and writes its
 * context into the headers sent upstream (`traceparent`, plus whatever the host's propagator adds).
 */
export function startClientSpan(tracer: Tracer, server: ServerTrace, method: string, origin: string, headers: HeaderRecord): Span {
  const m = methodAttribute(method);
  const { address, port } = originAttributes(origin);
  const span = tracer.startSpan(m, { kind: SpanKind.CLIENT, attributes: { [ATTR.method]: m, [ATTR.serverAddress]: address, [ATTR.serverPort]: port } }, server.context);
  const ctx = trace.setSpan(server.context, span);
  propagation.inject(ctx, headers, {
    set(carrier, key, value) {
      (carrier as HeaderRecord)[key.toLowerCase()] = value;
    },
  });
  const sc = span.spanContext();
  if (sc.traceId !== '' && sc.traceId !== '00000000000000000000000000000000') headers['traceparent'] = formatTraceparent(sc);
  return span;
}

export function endClientSpan(span: Span, status: number | undefined, error: string | undefined): void {
  if (status !== undefined) span.setAttribute(ATTR.status, status);
  if (error !== undefined) {
    span.setAttribute(ATTR.errorType, error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  } else if (status !== undefined && status >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
