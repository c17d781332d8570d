/**
 * The fetch-standard handler: `Request` in, `Response` (or `null`: run the host's own code)
 * out. For sandboxed, SGX and edge runtimes: nothing here needs a Node built-in. The request
 * goes through the pipeline's routing step (../pipeline/route.ts), then upstream through a
 * `FetchTransport`: on Node `createUndiciTransport` (byte-exact, the outbound policy at
 * connection time), elsewhere `createFetchTransport()` (the platform's `fetch`).
 *
 * A WebSocket handshake cannot go through `fetch` (no way to hand over the connection), so with
 * the `upgrade` option one is routed and its policies run as usual, then handed to the host's
 * hook with the upstream URL and headers the route builds: the host plugs in its platform's
 * upgrade API (Deno's `Deno.upgradeWebSocket`, Bun's `server.upgrade`). Without the option an
 * upgrade request is forwarded as a plain request (docs/runtime.md).
 */
import type { Router } from '../match/types.js';
import { classifyUpstreamError, errorBody, ERROR_MESSAGES, type ProxyErrorCode } from '../pipeline/errors.js';
import { conditionHeaders, readConditionHeader, toFetchHeaders, toHeaderRecord, type HeaderRecord } from '../pipeline/headers.js';
import {
  applyRequestPolicies,
  applyResponsePolicies,
  createPolicyRuntime,
  policyContext,
  cachePartition,
  policyPlan,
  runPolicies,
  type PolicyPlan,
  type PolicyRuntime,
} from '../pipeline/policies.js';
import { FetchCacheStep, routeStoreOf } from '../policies/cache/fetch-cache.js';
import type { MemoryRouteStore } from '../policies/cache/memory-store.js';
import { cacheKey } from '../policies/cache/route-cache.js';
import type { PolicyContext } from '../policies/types.js';
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
import type { Prober } from '../upstream/active-health.js';
import { pickTarget } from '../upstream/pick.js';
import { createUpstreamRegistry, registryState, type UpstreamRegistry } from '../upstream/registry.js';
import { forwardFetchWithAttempts } from './fetch-upstream.js';
import { needsAttemptLoop } from './upstream-loop.js';

/** Where the route sends a WebSocket handshake, for the fetch handler's `upgrade` hook. */
export interface FetchUpgradeTarget {
  /** The upstream URL the route builds (mount rule, placeholders, query; a credential in the query removed), `http:`/`https:`. */
  readonly url: string;
  /** The same URL with `ws:`/`wss:`, for a WebSocket client. */
  readonly webSocketUrl: string;
  /**
   * The forwarded handshake's headers, as for any proxied request: the target's `Host`,
   * `X-Forwarded-*`, `Sec-WebSocket-*` as sent, hop-by-hop headers (`Connection`, `Upgrade`)
   * removed, the route's policies applied (credential removed, JWT claims set, `requestHeaders`).
   */
  readonly headers: Headers;
  /** Headers the route adds to its answers (RateLimit, `responseHeaders` set/add), for the host's 101 where its API takes them (Bun's `server.upgrade(req, { headers })`). */
  readonly responseHeaders: Headers;
  /** The matched route's name (SPEC 10). */
  readonly route: string;
}

/**
 * The host's WebSocket upgrade (the fetch handler's `upgrade` option): called for a routed
 * `Upgrade: websocket` GET whose policies passed, instead of forwarding it. Its `Response` is
 * returned to the host as it is (a 101 from `Deno.upgradeWebSocket` cannot be rebuilt).
 */
export type FetchUpgradeHook = (request: Request, target: FetchUpgradeTarget) => Response | Promise<Response>;

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
  /** Balancer and health state of multi-target routes (SPEC 11). Default: the handler's own (stopped by `close()`). */
  upstreams?: UpstreamRegistry;
  /**
   * The platform's WebSocket upgrade, for a routed `Upgrade: websocket` GET after its policies
   * passed (a refused one gets the refusal and never reaches the hook). Gets the original
   * `Request` and the upstream URL and headers the route builds; its `Response` is the handler's
   * answer. Without it an upgrade request is forwarded as a plain request (docs/runtime.md).
   */
  upgrade?: FetchUpgradeHook;
  /**
   * Bounds of the route cache (SPEC 12 `cache`), shared by every cached route: most responses
   * held (default 10,000) and most bytes, bodies and headers (default 64 MB).
   */
  cache?: { maxEntries?: number; maxBytes?: number };
}

/** `Request` in; the proxied `Response`, an error `Response`, or `null` (no route: run the host's code). Never rejects. */
export type FetchHandler = ((request: Request, info?: ClientInfo) => Promise<Response | null>) & {
  /** Stops the active health checks of the handler's own upstream state (SPEC 11). */
  close?: () => void;
};

/** The options the fetch side of the pipeline runs with (the runtime builds one per function). */
export interface FetchPipelineOptions extends ProxyCommonOptions {
  transport: FetchTransport;
  /** Balancer and health state (SPEC 11); without it, multi-target routes balance on a throwaway state per request. */
  upstreams?: UpstreamRegistry;
  /** The key of this table's state in `upstreams` (the function id in the runtime). Default ''. */
  upstreamScope?: string;
  /** The per-route policies' environment (rate-limit store, clock, ...); built from the options when absent. */
  policyRuntime?: PolicyRuntime;
  /**
   * Metrics and spans (SPEC 13): on Node pass `createProxyObserver()` (OpenTelemetry API, a no-op
   * until the host installs an SDK). Not built in here: this module runs where no dependency may.
   */
  observer?: ProxyObserver;
  /** The route cache's store (SPEC 12 `cache`). Default: one per policy runtime, made on first use. */
  routeCache?: MemoryRouteStore;
}

/** Active probes through a fetch transport (so they obey the transport's outbound policy): GET, body discarded. */
export function transportProber(transport: FetchTransport): Prober {
  return async (url, timeoutMs, signal) => {
    const u = new URL(url);
    const response = await transport(
      { url, origin: u.origin, path: u.pathname + u.search, host: u.host, method: 'GET', headers: { host: u.host }, body: null },
      { signal, timeouts: { connect: timeoutMs, headers: timeoutMs, bodyIdle: timeoutMs } },
    );
    await response.body?.cancel().catch(() => {});
    return response.status;
  };
}

const runtimes = new WeakMap<FetchPipelineOptions, PolicyRuntime>();
function policyRuntimeOf(options: FetchPipelineOptions): PolicyRuntime {
  if (options.policyRuntime !== undefined) return options.policyRuntime;
  let r = runtimes.get(options);
  if (r === undefined) runtimes.set(options, (r = createPolicyRuntime(options)));
  return r;
}

function safeLog(onRequest: ((entry: AccessLogEntry) => void) | undefined, entry: AccessLogEntry): void {
  if (!onRequest) return;
  try {
    onRequest(entry);
  } catch {
    // A logging hook never breaks a request.
  }
}

/** The route's response rules, RateLimit headers and `Cache-Status` (`status`, on a cached route). */
function withResponsePolicies(plan: PolicyPlan, ctx: PolicyContext, response: Response, status?: string): Response {
  const headers = applyResponsePolicies(plan, ctx, toHeaderRecord(response.headers), status);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: toFetchHeaders(headers) });
}

/** An upstream failure on a cached route still says what the cache did (RFC 9211), with the route's RateLimit headers. */
function cachedErrorHeaders(cache: FetchCacheStep | null, ctx: PolicyContext | undefined): Record<string, string> | undefined {
  return cache === null ? undefined : { ...ctx?.responseHeaders, 'cache-status': cache.status() };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Routes one request through `router`: the routing step, then forward. Resolves `null` when
 * no route takes it and `fallthrough` is set; every failure becomes an error `Response`.
 */
export async function routeFetch(
  options: FetchPipelineOptions,
  router: Router,
  incoming: FetchIncoming,
  fallthrough: boolean,
  /** The host's upgrade for this request (a WebSocket handshake with the `upgrade` option), bound to its `Request`. */
  upgrade?: (target: FetchUpgradeTarget) => Response | Promise<Response>,
): Promise<Response | null> {
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
  const plan = policyPlan(match.variant);
  let ctx: PolicyContext | undefined;
  if (plan !== null) {
    const runtime = policyRuntimeOf(options);
    ctx = policyContext(runtime, {
      route: match.variant.name,
      pattern: match.pattern,
      method: incoming.method,
      path: decision.path,
      query: decision.query,
      headers: toHeaderRecord(incoming.headers),
      socketAddress: incoming.clientAddress ?? null,
      host,
      protocol: (incoming.protocol ?? 'http').replace(/:$/, ''),
    });
    const result = runPolicies(plan, ctx, runtime.env);
    const answer = result instanceof Promise ? await result : result;
    if (answer !== undefined) {
      log(match.pattern, answer.status, answer.code !== undefined ? { ...named, error: answer.code } : named);
      return new Response(incoming.method === 'HEAD' ? null : (answer.body as ConstructorParameters<typeof Response>[0]), {
        status: answer.status,
        headers: toFetchHeaders(answer.headers),
      });
    }
  }
  // What the upstream request is built from (once here, and per attempt in the attempt loop).
  const upstreamIncoming = {
    method: incoming.method,
    query: ctx?.query ?? decision.query,
    headers: incoming.headers,
    clientAddress: incoming.clientAddress ?? null,
    protocol: incoming.protocol ?? 'http',
    host: incoming.host ?? null,
    body: incoming.body,
  };
  if (upgrade !== undefined) {
    // One target for the connection, by the route's balancer (as the Node proxy's upgrades).
    const picked = pickTarget(
      options.upstreams ?? createUpstreamRegistry(),
      router,
      match,
      { clientAddress: incoming.clientAddress ?? null, header: (n) => readConditionHeader(headers, n), query: upstreamIncoming.query, params: match.params },
      { scope: options.upstreamScope ?? '' },
    );
    // The host makes the connection: its outcome is not ours to count for passive health.
    try {
      const request = buildProxyRequest<FetchBody>(match, upstreamIncoming, { trustForwardedHeaders: options.trustForwardedHeaders === true }, picked.target);
      if (plan !== null) applyRequestPolicies(plan, ctx!, request.headers);
      const seen = { ...named, target: picked.target.url };
      if (options.blockPrivateNetworks && checkTargetHost(request.origin)) {
        log(match.pattern, 502, { ...seen, error: 'outbound-blocked' });
        return errorResponse(502, errorBody('outbound-blocked', ERROR_MESSAGES['outbound-blocked'], match.pattern), incoming.method, ctx?.responseHeaders);
      }
      const answerHeaders = plan !== null ? applyResponsePolicies(plan, ctx!, Object.create(null) as HeaderRecord) : (Object.create(null) as HeaderRecord);
      const response = await upgrade({
        url: request.url,
        webSocketUrl: request.url.replace(/^http/, 'ws'),
        headers: toFetchHeaders(request.headers),
        responseHeaders: toFetchHeaders(answerHeaders),
        route: match.variant.name,
      });
      log(match.pattern, response.status, seen);
      return response;
    } catch {
      log(match.pattern, 502, { ...named, error: 'upstream-error' });
      return errorResponse(502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], match.pattern), incoming.method, ctx?.responseHeaders);
    } finally {
      picked.done('neutral');
    }
  }
  const request = buildProxyRequest<FetchBody>(match, upstreamIncoming, { trustForwardedHeaders: options.trustForwardedHeaders === true });
  if (plan !== null) applyRequestPolicies(plan, ctx!, request.headers);
  const fail = (status: number, code: ProxyErrorCode, message: string): Response => {
    log(match.pattern, status, { ...named, error: code });
    return errorResponse(status, errorBody(code, message, match.pattern, options.exposeTargets ? request.url : undefined), incoming.method, ctx?.responseHeaders);
  };
  if (request.method === 'CONNECT') return fail(501, 'method-not-supported', ERROR_MESSAGES['method-not-supported']);
  if (options.blockPrivateNetworks) {
    const blocked = checkTargetHost(request.origin);
    if (blocked) return fail(502, 'outbound-blocked', ERROR_MESSAGES['outbound-blocked']);
  }
  // The route cache sits above the whole forward, one exchange or the attempt loop (SPEC 12).
  const cache =
    plan !== null && plan.cache !== null
      ? new FetchCacheStep(
          {
            store: options.routeCache ?? routeStoreOf(policyRuntimeOf(options), undefined),
            config: plan.cache,
            key: cacheKey(options.upstreamScope ?? '', cachePartition(plan, ctx!), `${decision.path}?${upstreamIncoming.query}`),
            method: request.method,
            headers: request.headers,
          },
          match.variant.name,
          options.events,
        )
      : null;
  const stored = cache?.hit() ?? null;
  if (stored !== null) {
    log(match.pattern, stored.status, named);
    return withResponsePolicies(plan!, ctx!, stored, cache!.status());
  }
  const conditional = cache?.conditional;
  const signal = incoming.signal ?? new AbortController().signal;
  if (needsAttemptLoop(match)) {
    const loop = (revalidate: boolean) =>
      forwardFetchWithAttempts(
        {
          transport: options.transport,
          ...(plan !== null
            ? {
                prepare: (h: HeaderRecord) => {
                  applyRequestPolicies(plan, ctx!, h);
                  if (revalidate && conditional !== undefined) Object.assign(h, conditional);
                },
              }
            : {}),
          registry: registryState(options.upstreams ?? createUpstreamRegistry()),
          scope: options.upstreamScope ?? '',
          timeouts: resolveTimeouts(options.timeouts),
          events: options.events,
          blockPrivateNetworks: options.blockPrivateNetworks === true,
          trustForwardedHeaders: options.trustForwardedHeaders === true,
        },
        router,
        match,
        upstreamIncoming,
        headers,
        signal,
      );
    const result = await loop(true);
    const seen = { ...named, target: result.target, attempts: result.attempts };
    if (result.ok) {
      log(match.pattern, result.response.status, { upstreamStatus: result.response.status, ...seen });
      if (plan === null) return result.response;
      // Only the loop's final answer reaches the cache: a retried attempt's never does.
      const refetch = async (): Promise<Response> => {
        const again = await loop(false);
        if (!again.ok) throw again.error;
        return again.response;
      };
      const response = cache !== null ? await cache.answer(result.response, refetch) : result.response;
      return withResponsePolicies(plan, ctx!, response, cache?.status());
    }
    if (result.clientGone) {
      log(match.pattern, 499, { error: 'client-closed-request', ...seen });
      return errorResponse(499, errorBody('client-closed-request', ERROR_MESSAGES['client-closed-request'], match.pattern), incoming.method);
    }
    const c = classifyUpstreamError(result.error);
    log(match.pattern, c.status, { error: c.code, ...seen });
    return errorResponse(c.status, errorBody(c.code, c.message, match.pattern, options.exposeTargets ? result.url : undefined), incoming.method, cachedErrorHeaders(cache, ctx));
  }
  // The attempt is timed to the response's head: the body streams on after this resolves.
  const attempt = observation?.attempt(request.method, request.origin, request.headers);
  const upstreamStarted = now();
  const sent = { ...named, target: match.variant.target, attempts: 1 };
  try {
    const send = (revalidate: boolean) =>
      options.transport(revalidate && conditional !== undefined ? { ...request, headers: { ...request.headers, ...conditional } } : request, {
        signal,
        timeouts: resolveTimeouts(options.timeouts),
      });
    let response = await send(true);
    attempt?.end(response.status, undefined);
    log(match.pattern, response.status, { ...sent, upstreamStatus: response.status, upstreamMs: now() - upstreamStarted });
    if (cache !== null) response = await cache.answer(response, () => send(false));
    if (plan !== null) response = withResponsePolicies(plan, ctx!, response, cache?.status());
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
    return errorResponse(c.status, errorBody(c.code, c.message, match.pattern, options.exposeTargets ? request.url : undefined), incoming.method, cachedErrorHeaders(cache, ctx));
  }
}

/** Internal: the host's upgrade hook bound to `request` when it is a WebSocket handshake (else undefined). */
export function upgradeFor(hook: FetchUpgradeHook | undefined, request: Request): ((target: FetchUpgradeTarget) => Response | Promise<Response>) | undefined {
  return hook !== undefined && isWebSocketUpgrade(request) ? (target) => hook(request, target) : undefined;
}

/** A WebSocket handshake (RFC 6455 4.1): a GET whose `Upgrade` lists `websocket`. Other upgrades stay plain requests. */
function isWebSocketUpgrade(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const token = request.headers.get('upgrade');
  return token !== null && token.split(',').some((t) => t.trim().toLowerCase() === 'websocket');
}

/**
 * A fetch-standard handler for one route table: `(request, info?) => Response | null`.
 * Without a `transport` it uses `createFetchTransport()`; on Node pass `createUndiciTransport()`.
 */
export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  const transport = options.transport ?? createFetchTransport();
  // Routing events reach the host's sink and the metrics alike.
  const events = teeEvents(options.events, options.observer?.metrics);
  const upstreams = options.upstreams ?? createUpstreamRegistry({ events, prober: transportProber(transport) });
  const policyRuntime = createPolicyRuntime({ ...options, events });
  const pipeline: FetchPipelineOptions = { ...options, events, transport, upstreams, policyRuntime, routeCache: routeStoreOf(policyRuntime, options.cache) };
  const fallthrough = options.fallthrough !== false;
  const handler: FetchHandler = async (request, info) => {
    try {
      return await routeFetch(pipeline, currentRouter(options.router), fromRequest(request, info), fallthrough, upgradeFor(options.upgrade, request));
    } catch {
      return errorResponse(502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null), request.method);
    }
  };
  handler.close = () => {
    if (options.upstreams === undefined) upstreams.close();
  };
  return handler;
}
