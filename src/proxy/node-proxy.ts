/**
 * The streaming proxy for Node (SPEC section 8), on undici: a Node `http` request goes through
 * the pipeline's routing step (../pipeline/route.ts), then upstream through the Agent's pools
 * (./upstream-agent.ts), and the answer is relayed back (./node-relay.ts). Bodies stream both
 * ways with backpressure and are never decoded; redirects are relayed; every Set-Cookie is
 * kept. Errors are answered with JSON, never thrown to the host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Agent, Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { errorBody, ERROR_MESSAGES } from '../pipeline/errors.js';
import { routeRequest } from '../pipeline/route.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import { teeEvents } from '../telemetry/tee.js';
import { defaultObserver } from '../telemetry/observer.js';
import { emitRouteAnswer } from '../telemetry/route-events.js';
import { trackResponse, type LogState } from './node-access-log.js';
import { sendNodeError } from './node-error.js';
import { NodeResponseRelay } from './node-relay.js';
import { currentRouter, resolveTimeouts, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource } from './types.js';
import { closeAgent, createUpstreamAgent, type UpstreamOptions } from './upstream-agent.js';

/** Options of `createNodeProxy`. */
export interface NodeProxyOptions extends ProxyCommonOptions, Omit<UpstreamOptions, 'blockPrivateNetworks' | 'timeouts'> {
  /** The table `handler` routes by (a getter is called per request). `handle` takes its own. */
  router?: RouterSource;
  /** Share an Agent between proxies (it is then not closed by `close()`). */
  agent?: Agent;
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
  handle(req: IncomingMessage, res: ServerResponse, router: Router, fallthrough: boolean, onRequest?: (entry: AccessLogEntry) => void): boolean;
  /** The undici Agent (one keep-alive Pool per upstream origin). */
  readonly agent: Agent;
  /** Waits for in-flight requests (at most `graceMs`, default 5,000), then closes every upstream connection. */
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

  function dispatch(req: IncomingMessage, res: ServerResponse, match: RouteMatch, query: string, state: LogState): void {
    const socket = req.socket as Socket & { encrypted?: boolean };
    const request = buildProxyRequest(
      match,
      {
        method: req.method ?? 'GET',
        query,
        headers: req.rawHeaders,
        clientAddress: socket.remoteAddress ?? null,
        protocol: socket.encrypted ? 'https' : 'http',
      },
      { trustForwardedHeaders },
    );
    const target = exposeTargets ? request.url : undefined;
    if (request.method === 'CONNECT') {
      state.error = 'method-not-supported';
      sendNodeError(res, 501, errorBody('method-not-supported', ERROR_MESSAGES['method-not-supported'], match.pattern, target), request.method);
      return;
    }
    state.target = request.origin;
    state.attempts = 1;
    if (state.observation !== null) state.attempt = state.observation.attempt(request.method, request.origin, request.headers);
    state.upstreamStarted = performance.now();
    const relay = new NodeResponseRelay(res, state, target, request.method);
    agent.dispatch(
      {
        origin: request.origin,
        path: request.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers as Record<string, string | string[]>,
        body: requestHasBody(req) ? req : null,
        headersTimeout: timeouts.headers,
        bodyTimeout: timeouts.bodyIdle,
      },
      relay,
    );
  }

  function handle(req: IncomingMessage, res: ServerResponse, router: Router, fallthrough: boolean, log = onRequest): boolean {
    const started = performance.now();
    const state: LogState = { route: null, bytesOut: 0, observation: null };
    try {
      const decision = routeRequest(router, req.url ?? '', { method: req.method ?? 'GET', host: req.headers.host ?? null, headers: req.headers }, { allowEncodedSlashes, fallthrough });
      if (decision.kind === 'fall-through') return false;
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
      dispatch(req, res, decision.match, decision.query, state);
      return true;
    } catch {
      state.error = 'upstream-error';
      sendNodeError(res, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], state.route), req.method);
      return true;
    }
  }

  return {
    agent,
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
    async close(graceMs = 5_000) {
      if (!ownAgent) return;
      await closeAgent(agent, graceMs);
    },
  };
}
