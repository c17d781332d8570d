/**
 * The fetch-standard handler: `Request` in, `Response` (or `null`: run the host's own code)
 * out. For sandboxed, SGX and edge runtimes: nothing here needs a Node built-in. The request
 * goes through the pipeline's routing step (../pipeline/route.ts), then upstream through a
 * `FetchTransport`: on Node `createUndiciTransport` (byte-exact, the outbound policy at
 * connection time), elsewhere `createFetchTransport()` (the platform's `fetch`).
 */
import type { Router } from '../match/types.js';
import { classifyUpstreamError, errorBody, ERROR_MESSAGES, type ProxyErrorCode } from '../pipeline/errors.js';
import { conditionHeaders, readConditionHeader } from '../pipeline/headers.js';
import { routeRequest } from '../pipeline/route.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import { teeEvents } from '../telemetry/tee.js';
import type { ProxyObserver } from '../telemetry/observer.js';
import { emitRouteAnswer } from '../telemetry/route-events.js';
import { errorResponse } from './fetch-error.js';
import { fromRequest } from './fetch-request.js';
import { createFetchTransport } from './fetch-transport.js';
import type { ClientInfo, FetchBody, FetchIncoming, FetchTransport } from './fetch-types.js';
import { checkTargetHost } from './policy.js';
import { currentRouter, resolveTimeouts, type AccessLogEntry, type ProxyCommonOptions, type RouterSource } from './types.js';

/**
 * `blockPrivateNetworks` here judges IP-literal targets; to judge DNS answers and connected
 * addresses too, give the transport the policy (`createUndiciTransport({ blockPrivateNetworks: true })`).
 */
export interface FetchHandlerOptions extends ProxyCommonOptions {
  router: RouterSource;
  /** Metrics and spans: see `FetchPipelineOptions.observer`. */
  observer?: ProxyObserver;
  /** How requests reach upstreams. Default: `createFetchTransport()` (the platform's `fetch`). */
  transport?: FetchTransport;
  /**
   * When no route takes a request: `true` (default) resolves `null` so the host runs its own
   * code; `false` answers 404 (or 405 with `Allow`) JSON, as a standalone gateway does. A path
   * that cannot be routed is answered 400/414 either way.
   */
  fallthrough?: boolean;
}

/** `Request` in; the proxied `Response`, an error `Response`, or `null` (no route: run the host's code). Never rejects. */
export type FetchHandler = (request: Request, info?: ClientInfo) => Promise<Response | null>;

/** The options the fetch side of the pipeline runs with (the runtime builds one per function). */
export interface FetchPipelineOptions extends ProxyCommonOptions {
  transport: FetchTransport;
  /**
   * Metrics and spans (SPEC 13): on Node pass `createProxyObserver()` (OpenTelemetry API, a no-op
   * until the host installs an SDK). Not built in here: this module runs where no dependency may.
   */
  observer?: ProxyObserver;
}

function safeLog(onRequest: ((entry: AccessLogEntry) => void) | undefined, entry: AccessLogEntry): void {
  if (!onRequest) return;
  try {
    onRequest(entry);
  } catch {
    // A logging hook never breaks a request.
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Routes one request through `router`: the routing step, then forward. Resolves `null` when
 * no route takes it and `fallthrough` is set; every failure becomes an error `Response`.
 */
export async function routeFetch(options: FetchPipelineOptions, router: Router, incoming: FetchIncoming, fallthrough: boolean): Promise<Response | null> {
  const started = now();
  const headers = conditionHeaders(incoming.headers);
  // A `Request`'s URL authority is the host the client asked for; an invocation carries a Host header.
  const host = incoming.host ?? readConditionHeader(headers, 'host');
  const decision = routeRequest(router, incoming.target, { method: incoming.method, host, headers }, { allowEncodedSlashes: options.allowEncodedSlashes === true, fallthrough });
  if (decision.kind === 'fall-through') return null;
  // Metrics and spans (SPEC 13): null unless the host registered an OpenTelemetry SDK.
  const observation = options.observer?.start(incoming.method, incoming.target, (name) => readConditionHeader(headers, name) ?? undefined) ?? null;
  const log = (route: string | null, status: number, extra: Partial<AccessLogEntry> = {}): void => {
    const entry: AccessLogEntry = { method: incoming.method, path: incoming.target, route, status, ms: now() - started, ...extra };
    observation?.end(status, entry.ms, entry.error, undefined, undefined);
    safeLog(options.onRequest, entry);
  };
  if (decision.kind === 'answer') {
    emitRouteAnswer(options.events, decision, router, incoming.target, incoming.method);
    log(null, decision.status, { error: decision.code });
    return errorResponse(decision.status, decision.body, incoming.method, decision.headers);
  }
  const { match } = decision;
  const named = { name: match.variant.name, variant: match.variant.index };
  observation?.route(named.name);
  const request = buildProxyRequest<FetchBody>(
    match,
    {
      method: incoming.method,
      query: decision.query,
      headers: incoming.headers,
      clientAddress: incoming.clientAddress ?? null,
      protocol: incoming.protocol ?? 'http',
      host: incoming.host ?? null,
      body: incoming.body,
    },
    { trustForwardedHeaders: options.trustForwardedHeaders === true },
  );
  const fail = (status: number, code: ProxyErrorCode, message: string): Response => {
    log(match.pattern, status, { ...named, error: code });
    return errorResponse(status, errorBody(code, message, match.pattern, options.exposeTargets ? request.url : undefined), incoming.method);
  };
  if (request.method === 'CONNECT') return fail(501, 'method-not-supported', ERROR_MESSAGES['method-not-supported']);
  if (options.blockPrivateNetworks) {
    const blocked = checkTargetHost(request.origin);
    if (blocked) return fail(502, 'outbound-blocked', ERROR_MESSAGES['outbound-blocked']);
  }
  const signal = incoming.signal ?? new AbortController().signal;
  // The attempt is timed to the response's head: the body streams on after this resolves.
  const attempt = observation?.attempt(request.method, request.origin, request.headers);
  const upstreamStarted = now();
  const sent = { ...named, target: request.origin, attempts: 1 };
  try {
    const response = await options.transport(request, { signal, timeouts: resolveTimeouts(options.timeouts) });
    attempt?.end(response.status, undefined);
    log(match.pattern, response.status, { ...sent, upstreamStatus: response.status, upstreamMs: now() - upstreamStarted });
    return response;
  } catch (err) {
    if (signal.aborted) {
      attempt?.end(undefined, 'client-closed-request');
      log(match.pattern, 499, { ...sent, error: 'client-closed-request' });
      return errorResponse(499, errorBody('client-closed-request', ERROR_MESSAGES['client-closed-request'], match.pattern), incoming.method);
    }
    const c = classifyUpstreamError(err);
    attempt?.end(undefined, c.code);
    log(match.pattern, c.status, { ...sent, error: c.code, upstreamMs: now() - upstreamStarted });
    return errorResponse(c.status, errorBody(c.code, c.message, match.pattern, options.exposeTargets ? request.url : undefined), incoming.method);
  }
}

/**
 * A fetch-standard handler for one route table: `(request, info?) => Response | null`.
 * Without a `transport` it uses `createFetchTransport()`; on Node pass `createUndiciTransport()`.
 */
export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  // Routing events reach the host's sink and the metrics alike.
  const pipeline: FetchPipelineOptions = { ...options, events: teeEvents(options.events, options.observer?.metrics), transport: options.transport ?? createFetchTransport() };
  const fallthrough = options.fallthrough !== false;
  return async (request, info) => {
    try {
      return await routeFetch(pipeline, currentRouter(options.router), fromRequest(request, info), fallthrough);
    } catch {
      return errorResponse(502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null), request.method);
    }
  };
}
