/**
 * The streaming proxy for Node (SPEC section 8), on undici: one connection pool per upstream
 * origin (an undici `Agent` keeps a keep-alive `Pool` per origin and drops idle ones), bodies
 * streamed both ways with backpressure and never decoded, redirects relayed, every Set-Cookie
 * kept, upstream timeouts, and the outbound policy applied to the address each socket actually
 * connects to. Errors are answered with JSON, never thrown to the host.
 *
 * This module needs Node (undici, node:dns, node:net); everything it builds on is pure.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { normalizePath } from '../normalize/path.js';
import { classifyUpstreamError, errorBody, ERROR_CONTENT_TYPE, ERROR_MESSAGES, type ProxyErrorCode } from './errors.js';
import { isNullBodyStatus, responseHeaders, type FetchBody, type FetchTransport } from './fetch.js';
import { stripHopByHop, type HeaderRecord } from './headers.js';
import { checkAddress, OutboundBlockedError } from './policy.js';
import { buildProxyRequest } from './request.js';
import { currentRouter, resolveTimeouts, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource, type TimeoutOptions } from './types.js';

/** How the proxy reaches upstreams. */
export interface UpstreamOptions {
  /** Refuse non-public upstream addresses (see `checkAddress`). Default false. */
  blockPrivateNetworks?: boolean;
  timeouts?: TimeoutOptions;
  /**
   * DNS resolution (same contract as `dns.lookup`). Default `dns.lookup`. The policy judges
   * every address it returns and the address each socket connects to.
   */
  lookup?: LookupFunction;
  /**
   * A custom socket factory (undici's connector contract), e.g. to reach upstreams through a
   * tunnel. The policy still judges the requested IP literal and the connected socket's address.
   */
  connect?: buildConnector.connector;
  /** Most connections per upstream origin. Default 128. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection is kept (ms). Default 4,000 (undici's). */
  keepAliveTimeout?: number;
  /** TLS options for https upstreams (`ca`, `rejectUnauthorized`, ...). */
  tls?: buildConnector.BuildOptions;
}

/** Raised when the client goes away: aborts the upstream exchange. */
export class ClientClosedError extends Error {
  readonly code = 'ERR_CLIENT_CLOSED';
  constructor() {
    super('The client closed the connection');
    this.name = 'ClientClosedError';
  }
}

function blockedAddressError(address: string): OutboundBlockedError {
  return new OutboundBlockedError(address, checkAddress(address).class);
}

/** Wraps a lookup so that it only ever yields addresses the policy allows. */
export function policyLookup(base: LookupFunction): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      if (Array.isArray(address)) {
        const allowed = address.filter((a) => checkAddress(a.address).allowed);
        if (allowed.length === 0) return callback(blockedAddressError(address[0]?.address ?? hostname) as NodeJS.ErrnoException, []);
        return callback(null, allowed);
      }
      if (!checkAddress(address).allowed) return callback(blockedAddressError(address) as NodeJS.ErrnoException, '', family);
      callback(null, address, family);
    });
  }) as LookupFunction;
}

/**
 * Wraps a connector with the policy: an IP-literal host is judged before connecting, and the
 * connected socket's remote address after (covering every path DNS can take).
 */
export function policyConnector(base: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    if (isIP(options.hostname) !== 0 && !checkAddress(options.hostname).allowed) {
      callback(blockedAddressError(options.hostname), null);
      return;
    }
    base(options, (err, socket) => {
      if (err !== null) return callback(err, null);
      const remote = (socket as Socket).remoteAddress;
      if (remote === undefined || !checkAddress(remote).allowed) {
        socket.destroy();
        return callback(blockedAddressError(remote ?? options.hostname), null);
      }
      callback(null, socket);
    });
  };
}

/** The undici Agent the proxy dispatches through: a keep-alive Pool per upstream origin. */
export function createUpstreamAgent(options: UpstreamOptions = {}): Agent {
  const timeouts = resolveTimeouts(options.timeouts);
  const block = options.blockPrivateNetworks === true;
  let connector: buildConnector.connector;
  if (options.connect) {
    connector = options.connect;
  } else {
    const baseLookup = options.lookup ?? (dnsLookup as unknown as LookupFunction);
    connector = buildConnector({
      ...(options.tls ?? {}),
      timeout: timeouts.connect,
      lookup: block ? policyLookup(baseLookup) : baseLookup,
    } as buildConnector.BuildOptions);
  }
  return new Agent({
    connect: block ? policyConnector(connector) : connector,
    connections: options.connectionsPerOrigin ?? 128,
    keepAliveTimeout: options.keepAliveTimeout ?? 4_000,
    headersTimeout: timeouts.headers,
    bodyTimeout: timeouts.bodyIdle,
    pipelining: 1,
  });
}

/** A reason phrase Node will accept in a status line, or undefined. */
function safeReason(reason: string | undefined): string | undefined {
  return reason && /^[\t\x20-\x7e\x80-\xff]*$/.test(reason) ? reason : undefined;
}

/** What a finished exchange reports to the access log. */
interface LogState {
  route: string | null;
  upstreamStatus?: number;
  error?: ProxyErrorCode;
}

/** Reports one access-log entry when `res` closes (finished, failed or abandoned). */
function trackResponse(req: IncomingMessage, res: ServerResponse, started: number, onRequest: ((entry: AccessLogEntry) => void) | undefined, state: LogState): void {
  if (!onRequest) return;
  res.once('close', () => {
    // Closed before the response was complete, with no upstream error to blame: the client left.
    if (!res.writableFinished && state.error === undefined) state.error = 'client-closed-request';
    const entry: AccessLogEntry = {
      method: req.method ?? 'GET',
      path: req.url ?? '',
      route: state.route,
      status: state.error === 'client-closed-request' ? 499 : res.statusCode,
      ms: performance.now() - started,
    };
    if (state.upstreamStatus !== undefined) entry.upstreamStatus = state.upstreamStatus;
    if (state.error !== undefined) entry.error = state.error;
    try {
      onRequest(entry);
    } catch {
      // A logging hook never breaks the proxy.
    }
  });
}

/** Answers a JSON error (or ends the response abruptly if its head is already out). */
export function sendNodeError(res: ServerResponse, status: number, code: ProxyErrorCode, message: string, route: string | null, target?: string, method?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const body = JSON.stringify(errorBody(code, message, route, target));
  res.writeHead(status, {
    'content-type': ERROR_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** Relays one upstream exchange into a Node `ServerResponse`. */
class NodeResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private clientGone = false;
  private ended = false;
  private waitingDrain = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly state: LogState,
    private readonly target: string | undefined,
    private readonly method: string,
  ) {
    res.once('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (this.ended || this.res.writableFinished) return;
    this.clientGone = true;
    this.state.error = 'client-closed-request';
    this.controller?.abort(new ClientClosedError());
  };

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.controller?.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: not relayed
    if (this.clientGone) return;
    this.state.upstreamStatus = statusCode;
    try {
      this.res.writeHead(statusCode, safeReason(statusMessage), stripHopByHop(headers as HeaderRecord));
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    if (!this.res.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    if (this.clientGone) return;
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.clientGone || this.ended) return;
    this.ended = true;
    const c = classifyUpstreamError(err);
    this.state.error = c.code;
    if (this.res.headersSent) {
      // The upstream died mid-body: end the client's response with an error (no clean end).
      this.res.destroy();
      return;
    }
    sendNodeError(this.res, c.status, c.code, c.message, this.state.route, this.target, this.method);
  }
}

/** Options of `createNodeProxy`. */
export interface NodeProxyOptions extends ProxyCommonOptions, Omit<UpstreamOptions, 'blockPrivateNetworks' | 'timeouts'> {
  /** The table `handler` routes by (a getter is called per request). `handle` takes its own. */
  router?: RouterSource;
  /** Share an Agent between proxies (it is then not closed by `close()`). */
  agent?: Agent;
}

export interface NodeProxy {
  /**
   * A Node `http` request handler. With `next` (middleware style), a request no route matches
   * is passed on; without it, it is answered 404 JSON.
   */
  handler(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /**
   * Routes one request through `router`. Returns false, having written nothing, when no route
   * matches and `fallthrough` is true; true when the request is (being) answered.
   */
  handle(req: IncomingMessage, res: ServerResponse, router: Router, fallthrough: boolean, onRequest?: (entry: AccessLogEntry) => void): boolean;
  /** Forwards a request already matched (`query` is the normalized query). */
  forward(req: IncomingMessage, res: ServerResponse, match: RouteMatch, query: string): void;
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
      sendNodeError(res, 501, 'method-not-supported', ERROR_MESSAGES['method-not-supported'], match.pattern, target, request.method);
      return;
    }
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
    const state: LogState = { route: null };
    try {
      const limits = router.options.limits;
      const normalized = normalizePath(req.url ?? '', { maxPathLength: limits.maxPathLength, maxSegments: limits.maxSegments, allowEncodedSlashes });
      if (!normalized.ok) {
        trackResponse(req, res, started, log, state);
        state.error = normalized.code;
        sendNodeError(res, normalized.status, normalized.code, normalized.message, null, undefined, req.method);
        return true;
      }
      const match = router.match(normalized.path);
      if (match === null) {
        if (fallthrough) return false;
        trackResponse(req, res, started, log, state);
        state.error = 'route-not-found';
        sendNodeError(res, 404, 'route-not-found', ERROR_MESSAGES['route-not-found'], null, undefined, req.method);
        return true;
      }
      state.route = match.pattern;
      trackResponse(req, res, started, log, state);
      dispatch(req, res, match, normalized.query, state);
      return true;
    } catch {
      state.error = 'upstream-error';
      sendNodeError(res, 502, 'upstream-error', ERROR_MESSAGES['upstream-error'], state.route, undefined, req.method);
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
        sendNodeError(res, 502, 'upstream-error', ERROR_MESSAGES['upstream-error'], null, undefined, req.method);
        return;
      }
      if (!handle(req, res, router, next !== undefined)) next!();
    },
    forward(req, res, match, query) {
      const state: LogState = { route: match.pattern };
      trackResponse(req, res, performance.now(), onRequest, state);
      try {
        dispatch(req, res, match, query, state);
      } catch {
        sendNodeError(res, 502, 'upstream-error', ERROR_MESSAGES['upstream-error'], match.pattern, undefined, req.method);
      }
    },
    async close(graceMs = 5_000) {
      if (!ownAgent) return;
      await closeAgent(agent, graceMs);
    },
  };
}

/** Closes an Agent gracefully, destroying it if requests are still running after `graceMs`. */
export async function closeAgent(agent: Agent, graceMs = 5_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([agent.close().then(() => 'closed' as const), grace]);
  clearTimeout(timer);
  if (result === 'timeout') await agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// The gateway contract (the `af-routes serve` CLI codes against exactly this).

export interface GatewayOptions {
  router: Router | (() => Router);
  blockPrivateNetworks?: boolean;
  exposeTargets?: boolean;
  timeouts?: { connect?: number; headers?: number; bodyIdle?: number };
  onRequest?: (entry: AccessLogEntry) => void;
  /** Custom DNS resolution (tests, split-horizon DNS). Default `dns.lookup`. */
  lookup?: LookupFunction;
}

export interface Gateway {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

/**
 * A standalone gateway: no function code behind it, so a request no route matches is answered
 * 404 JSON. `router` may be a getter so a host can swap tables on reload.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const proxy = createNodeProxy(options);
  return {
    handler: (req, res) => proxy.handler(req, res),
    close: () => proxy.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// A fetch transport on the same Agent: byte-exact bodies, policy at connection time.

class FetchResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  private settled = false;
  private finished = false;

  constructor(
    private readonly method: string,
    private readonly signal: AbortSignal,
    private readonly resolve: (response: Response) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    this.controller?.abort(new ClientClosedError());
  };

  private done(): void {
    this.finished = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200 || this.settled) return;
    this.settled = true;
    const noBody = isNullBodyStatus(statusCode) || this.method === 'HEAD';
    const body = noBody
      ? null
      : new ReadableStream<Uint8Array>(
          {
            start: (c) => {
              this.stream = c;
            },
            pull: () => {
              controller.resume();
            },
            cancel: (reason) => {
              if (!this.finished) controller.abort(reason instanceof Error ? reason : new ClientClosedError());
            },
          },
          { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
        );
    try {
      const init = { status: statusCode, statusText: safeReason(statusMessage) ?? '', headers: responseHeaders(headers as HeaderRecord) };
      this.resolve(new Response(body, init));
    } catch (err) {
      this.settled = false;
      this.stream = null;
      controller.abort(Object.assign(new Error('The upstream response cannot be relayed'), { code: 'UND_ERR_INFO', cause: err }));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const stream = this.stream;
    if (stream === null) return;
    stream.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((stream.desiredSize ?? 1) <= 0) controller.pause();
  }

  onResponseEnd(): void {
    this.done();
    try {
      this.stream?.close();
    } catch {
      // Cancelled by the reader.
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.done();
    if (!this.settled) {
      this.settled = true;
      this.reject(err);
      return;
    }
    try {
      this.stream?.error(err);
    } catch {
      // Already closed or cancelled.
    }
  }
}

export interface UndiciTransportOptions extends UpstreamOptions {
  /** Use this Agent instead of creating one. */
  agent?: Agent;
}

export interface UndiciTransport extends FetchTransport {
  readonly agent: Agent;
  close(graceMs?: number): Promise<void>;
}

/**
 * A `FetchTransport` on undici for Node hosts of the fetch handler: bodies byte for byte (no
 * decompression), the outbound policy at connection time, the same pools as the Node proxy.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const ownAgent = options.agent === undefined;
  const agent = options.agent ?? createUpstreamAgent(options);
  const transport = ((request, context) =>
    new Promise<Response>((resolve, reject) => {
      const body = request.body;
      agent.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers as Record<string, string | string[]>,
          body: (body ?? null) as Dispatcher.DispatchOptions['body'],
          headersTimeout: context.timeouts.headers,
          bodyTimeout: context.timeouts.bodyIdle,
        },
        new FetchResponseRelay(request.method, context.signal, resolve, reject),
      );
    })) as UndiciTransport;
  Object.defineProperty(transport, 'agent', { value: agent });
  transport.close = async (graceMs = 5_000) => {
    if (ownAgent) await closeAgent(agent, graceMs);
  };
  return transport;
}

export type { FetchBody };
