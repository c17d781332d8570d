/**
 * The streaming proxy for Node (SPEC section 8), on undici: a Node `http` request goes through
 * the pipeline's routing step (../pipeline/route.ts), then upstream through the Agent's pools
 * (./upstream-agent.ts), and the answer is relayed back (./node-relay.ts). Bodies stream both
 * ways with backpressure and are never decoded; redirects are relayed; every Set-Cookie is
 * kept. Errors are answered with JSON, never thrown to the host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { errorBody, ERROR_MESSAGES } from '../pipeline/errors.js';
import { routeRequest } from '../pipeline/route.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import { applyRequestPolicies, cachePartition, createPolicyRuntime, policyPlan, runPolicies, type PolicyPlan } from '../pipeline/policies.js';
import type { HeaderRecord } from '../pipeline/headers.js';
import { BoundedCacheStore, type RouteCacheOptions } from '../policies/cache/bounded-store.js';
import { emptyKeyFor, NodeRouteCache, newProbe, type CacheProbe } from '../policies/cache/node-cache.js';
import { MemoryRouteStore } from '../policies/cache/memory-store.js';
import { StoringHandler } from '../policies/cache/node-miss.js';
import type { PolicyAnswer } from '../policies/types.js';
import {
  nodePolicyContext,
  nodeRequestHeaders,
  type NodePolicyContext,
  nodeSha256,
  PolicyResponseRelay,
  rawWithout,
  responseHook,
  sendPolicyAnswer,
  serveCacheHit,
} from './node-policies.js';
import { teeEvents } from '../telemetry/tee.js';
import { defaultObserver } from '../telemetry/observer.js';
import { emitRouteAnswer } from '../telemetry/route-events.js';
import { nothingRegistered } from '../telemetry/otel.js';
import { newLogState, trackResponse, type LogState } from './node-access-log.js';
import { sendNodeError } from './node-error.js';
import { NodeResponseRelay } from './node-relay.js';
import { createUpgradeForwarder, sendSocketError, type UpgradeOptions } from './node-upgrade.js';
import { currentRouter, resolveTimeouts, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource } from './types.js';
import { closeAgent, createUpstreamAgent, type UpstreamOptions } from './upstream-agent.js';
import type { Prober } from '../upstream/active-health.js';
import { createUpstreamRegistry, registryState, type UpstreamRegistry } from '../upstream/registry.js';
import { forwardWithAttempts, type NodeUpstreamContext } from './node-upstream.js';
import { needsAttemptLoop } from './upstream-loop.js';

/** Options of `createNodeProxy`. */
export interface NodeProxyOptions extends ProxyCommonOptions, UpgradeOptions, Omit<UpstreamOptions, 'blockPrivateNetworks' | 'timeouts'> {
  /** The table `handler` routes by (a getter is called per request). `handle` takes its own. */
  router?: RouterSource;
  /** Share an Agent between proxies (it is then not closed by `close()`). */
  agent?: Agent;
  /**
   * Balancer and health state of multi-target routes (SPEC 11). Default: one of the proxy's own,
   * probing through its Agent and stopped by `close()`. Pass one to share it (then not closed).
   */
  upstreams?: UpstreamRegistry;
  /** Bounds of the route cache (SPEC 12 `cache`), shared by every cached route. */
  cache?: RouteCacheOptions;
}

export interface NodeProxy {
  /**
   * A Node `http` request handler. With `next` (middleware style), a request no route takes
   * is passed on; without it, it is answered 404 (or 405 with `Allow`) JSON.
   */
  handler(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /**
   * Routes one request through `router`. Returns false, having written nothing, when no route
   * takes it and `fallthrough` is true; true when the request is (being) answered: proxied,
   * or refused (400/414 for a path that cannot be routed, whatever `fallthrough`).
   */
  handle(req: IncomingMessage, res: ServerResponse, router: Router, fallthrough: boolean, onRequest?: (entry: AccessLogEntry) => void, scope?: string): boolean;
  /** Balancer and health state per route (SPEC 11); `scope` of `handle` keys it (a function id in the runtime). */
  readonly upstreams: UpstreamRegistry;
  /** The undici Agent (one keep-alive Pool per upstream origin). */
  readonly agent: Agent;
  /**
   * A Node server's 'upgrade' listener (WebSockets, any `Upgrade`): `server.on('upgrade',
   * proxy.upgrade)`. With `next`, an upgrade no route takes is left alone (for another
   * listener) and `next` is called; without it, it is answered 404 (or 405) on the socket.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, next?: () => void): void;
  /** `handle` for an upgrade request (see `upgrade`); the socket is the server's 'upgrade' socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, router: Router, fallthrough: boolean, onRequest?: (entry: AccessLogEntry) => void, scope?: string): boolean;
  /**
   * Stops active health checks, closes every upgraded connection (WebSockets are long-lived:
   * they are not waited for), waits for in-flight requests (at most `graceMs`, default 5,000),
   * then closes every upstream connection.
   */
  close(graceMs?: number): Promise<void>;
}

function requestHasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/** A Node streaming proxy for a route table (or a getter, so tables can be swapped). */
export function createNodeProxy(options: NodeProxyOptions): NodeProxy {
  const timeouts: ResolvedTimeouts = resolveTimeouts(options.timeouts);
  const ownAgent = options.agent === undefined;
  const agent = options.agent ?? createUpstreamAgent(options);
  const exposeTargets = options.exposeTargets === true;
  const trustForwardedHeaders = options.trustForwardedHeaders === true;
  const allowEncodedSlashes = options.allowEncodedSlashes === true;
  const onRequest = options.onRequest;
  // Metrics and spans (SPEC 13): no-ops until the host registers an OpenTelemetry SDK. Routing
  // events reach the host's sink and the metrics alike.
  const observer = defaultObserver();
  options = { ...options, events: teeEvents(options.events, observer.metrics) };
  const events = options.events;
  const ownRegistry = options.upstreams === undefined;
  // Active probes go through the proxy's Agent, so they obey its outbound policy and timeouts.
  const prober: Prober = async (url, timeoutMs, signal) => {
    const u = new URL(url);
    const r = await agent.request({ origin: u.origin, path: u.pathname + u.search, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
    await r.body.dump();
    return r.statusCode;
  };
  const upstreams = options.upstreams ?? createUpstreamRegistry({ events: options.events, prober });
  const upstreamContext: NodeUpstreamContext = { agent, registry: registryState(upstreams), timeouts, events: options.events, exposeTargets, trustForwardedHeaders };
  // The routing step's options, built once (not per request) for each `fallthrough`.
  const stepOptions = { gateway: { allowEncodedSlashes, fallthrough: false }, fallthrough: { allowEncodedSlashes, fallthrough: true } };

  // One policy runtime for HTTP and upgrades: a route's rate-limit buckets count both.
  const policies = createPolicyRuntime(options, { sha256: nodeSha256 });
  const upgrades = createUpgradeForwarder({ ...options, agent, upstreams, timeouts, trustForwardedHeaders, allowEncodedSlashes, exposeTargets, policies });
  let routeCache: NodeRouteCache | undefined;
  let loopStore: MemoryRouteStore | undefined;

  function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    query: string,
    state: LogState,
    router: Router,
    scope: string,
    /** Something reports the exchange (access log, metrics, spans): time the upstream part. */
    timed: boolean,
    /** A route with policies: its plan and this request's context (two arguments, not an object per request). */
    plan?: PolicyPlan,
    ctx?: NodePolicyContext,
  ): void {
    if (req.method !== 'CONNECT' && needsAttemptLoop(match)) {
      // Several targets, retries or a route deadline: the attempt loop (SPEC 11), with the
      // route's request and response rules; a cached route's cache sits above the loop
      // (./node-cached-attempts.ts), on its own store under the same bounds.
      const hooks =
        plan === undefined || ctx === undefined
          ? undefined
          : {
              onHead: responseHook(plan, ctx, options.events, () => null),
              errorHeaders: ctx.responseHeaders,
              applyRequest: (headers: HeaderRecord) => applyRequestPolicies(plan, ctx, headers),
              ...(plan.cache !== null ? { cache: { plan, ctx, store: (loopStore ??= new MemoryRouteStore(options.cache)), events: options.events } } : {}),
            };
      forwardWithAttempts(upstreamContext, req, res, router, scope, match, query, state, hooks);
      return;
    }
    const socket = req.socket as Socket & { encrypted?: boolean };
    // The stages' removals (the API key) taken out of the raw headers, so the upstream record
    // is built without them (no copy of it afterwards): null when `buildProxyRequest` reads the name.
    const raw = ctx !== undefined && ctx.removeHeaders.length > 0 ? rawWithout(req.rawHeaders, ctx.removeHeaders) : null;
    const request = buildProxyRequest(
      match,
      {
        method: req.method ?? 'GET',
        query,
        headers: raw ?? req.rawHeaders,
        clientAddress: ctx !== undefined ? ctx.socketAddress : (socket.remoteAddress ?? null),
        protocol: socket.encrypted ? 'https' : 'http',
      },
      { trustForwardedHeaders },
    );
    if (plan !== undefined && ctx !== undefined) request.headers = nodeRequestHeaders(plan, ctx, request.headers, raw !== null);
    const target = exposeTargets ? request.url : undefined;
    if (request.method === 'CONNECT') {
      state.error = 'method-not-supported';
      sendNodeError(res, 501, errorBody('method-not-supported', ERROR_MESSAGES['method-not-supported'], match.pattern, target), request.method);
      return;
    }
    state.target = match.variant.target;
    state.attempts = 1;
    if (state.observation !== null) state.attempt = state.observation.attempt(request.method, request.origin, request.headers);
    if (timed) state.upstreamStarted = performance.now();
    const cache = plan?.cache ?? null;
    const probe: CacheProbe | null = cache !== null && cache.methods.includes(request.method) ? newProbe(request.path) : null;
    const relay =
      plan === undefined || ctx === undefined
        ? new NodeResponseRelay(res, state, target, request.method)
        : new PolicyResponseRelay(res, state, target, request.method, plan, ctx, options.events, probe);
    const opts: Dispatcher.DispatchOptions = {
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers as Record<string, string | string[]>,
      body: requestHasBody(req) ? req : null,
      headersTimeout: timeouts.headers,
      bodyTimeout: timeouts.bodyIdle,
    };
    if (probe !== null) {
      routeCache ??= new NodeRouteCache(agent, new BoundedCacheStore(options.cache));
      // The hit path (`serveCacheHit`) just found nothing under this request's key and left
      // the key on the request's policy context: no second lookup, no key built again, and no
      // interceptor (./node-miss.ts stores with undici's rules). Same path: both build the
      // forward URL of this match with the variant's first target and `ctx.query` (checked:
      // same origin, same query).
      const emptyKey = request.method === 'GET' ? emptyKeyFor(ctx!, request.origin, request.headers as Record<string, string | string[]>) : null;
      if (emptyKey !== null) {
        // `Cache-Status: ...; fwd=uri-miss`, as the interceptor's probe reports a miss.
        probe.upstream = true;
        agent.dispatch(opts, new StoringHandler(relay, routeCache.store, cache!, request.origin, emptyKey, 'GET', request.headers as Record<string, string | string[]>));
        return;
      }
      const partition = cachePartition(plan!, ctx!);
      const fresh = routeCache.fresh(match.variant, cache!, partition, request.origin, request.method, request.path, request.headers as Record<string, string | string[]>);
      if (fresh !== null) {
        relay.serveStored(fresh);
        return;
      }
      // The interceptor may store the head object it hands the relay: the relay copies it.
      (relay as PolicyResponseRelay).ownsHeaders = false;
      routeCache.dispatch(match.variant, cache!, partition, opts, relay, probe);
    } else agent.dispatch(opts, relay);
  }

  /** Runs the variant's policies, then answers (401, 429, ...) or dispatches. */
  function withPolicies(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    path: string,
    query: string,
    plan: PolicyPlan,
    state: LogState,
    router: Router,
    scope: string,
    timed: boolean,
  ): void {
    const ctx = nodePolicyContext(policies, req, match, path, query);
    const result = runPolicies(plan, ctx, policies.env);
    // Synchronous stages (API keys, the in-process rate limit): no closure per request.
    if (!(result instanceof Promise)) return afterPolicies(req, res, match, plan, ctx, state, router, scope, timed, result);
    result
      .then((answer) => afterPolicies(req, res, match, plan, ctx, state, router, scope, timed, answer))
      .catch(() => {
        state.error = 'upstream-error';
        sendNodeError(res, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], match.pattern), req.method ?? 'GET');
      });
  }

  /** The stages' answer written, or the request served from the cache or dispatched. */
  function afterPolicies(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    plan: PolicyPlan,
    ctx: NodePolicyContext,
    state: LogState,
    router: Router,
    scope: string,
    timed: boolean,
    answer: PolicyAnswer | undefined,
  ): void {
    if (answer !== undefined) sendPolicyAnswer(res, answer, req.method ?? 'GET', state);
    else if (res.destroyed) return;
    // A fresh stored response is written from the store before any upstream request is built.
    else if (plan.cache !== null && routeCache !== undefined && !needsAttemptLoop(match) && serveCacheHit(routeCache, res, match, plan, ctx, state, options.events)) return;
    else dispatch(req, res, match, ctx.query, state, router, scope, timed, plan, ctx);
  }

  function handle(req: IncomingMessage, res: ServerResponse, router: Router, fallthrough: boolean, log = onRequest, scope = ''): boolean {
    // Nothing reports this exchange (no access log, no OpenTelemetry provider): no clock reads
    // (each `performance.now()` costs ~0.2 us, a fair share of what the gateway adds per
    // request) and no observation, which would be null anyway.
    const quiet = log === undefined && nothingRegistered();
    const started = quiet ? 0 : performance.now();
    const state = newLogState();
    try {
      const decision = routeRequest(
        router,
        req.url ?? '',
        { method: req.method ?? 'GET', host: req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? null, headers: req.headers },
        fallthrough ? stepOptions.fallthrough : stepOptions.gateway,
      );
      if (decision.kind === 'fall-through') return false;
      if (!quiet)
        state.observation = observer.start(req.method ?? 'GET', req.url ?? '', (name) => {
          const v = req.headers[name];
          return typeof v === 'string' ? v : v?.[0];
        });
      if (decision.kind === 'answer') {
        emitRouteAnswer(events, decision, router, req.url ?? '', req.method ?? 'GET');
        trackResponse(req, res, started, log, state);
        state.error = decision.code;
        sendNodeError(res, decision.status, decision.body, req.method, decision.headers);
        return true;
      }
      state.route = decision.match.pattern;
      state.name = decision.match.variant.name;
      state.variant = decision.match.variant.index;
      state.observation?.route(state.name);
      trackResponse(req, res, started, log, state);
      const plan = policyPlan(decision.match.variant);
      if (plan === null) dispatch(req, res, decision.match, decision.query, state, router, scope, !quiet);
      else withPolicies(req, res, decision.match, decision.path, decision.query, plan, state, router, scope, !quiet);
      return true;
    } catch {
      state.error = 'upstream-error';
      sendNodeError(res, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], state.route), req.method);
      return true;
    }
  }

  return {
    agent,
    upstreams,
    handle,
    handler(req, res, next) {
      let router: Router;
      try {
        if (options.router === undefined) throw new TypeError('createNodeProxy: no router to route by');
        router = currentRouter(options.router);
      } catch {
        sendNodeError(res, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null), req.method);
        return;
      }
      if (!handle(req, res, router, next !== undefined)) next!();
    },
    upgrade(req, socket, head, next) {
      let router: Router;
      try {
        if (options.router === undefined) throw new TypeError('createNodeProxy: no router to route by');
        router = currentRouter(options.router);
      } catch {
        socket.on('error', () => socket.destroy());
        sendSocketError(socket, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null));
        return;
      }
      if (!upgrades.handle(req, socket, head, router, next !== undefined, onRequest)) next!();
    },
    handleUpgrade: (req, socket, head, router, fallthrough, log = onRequest, scope = '') => upgrades.handle(req, socket, head, router, fallthrough, log, scope),
    async close(graceMs = 5_000) {
      if (ownRegistry) upstreams.close();
      upgrades.closeAll();
      if (!ownAgent) return;
      await closeAgent(agent, graceMs);
    },
  };
}
