/**
 * WebSocket (and any HTTP/1.1 `Upgrade`) proxying for Node: the handler behind a server's
 * 'upgrade' event. The upgrade request goes through the same routing step as every request
 * (../pipeline/route.ts: 400/414/404/405 answered on the raw socket as an HTTP/1.1 response
 * with the JSON body), its upstream request is built by the same `buildProxyRequest` (mount
 * rule, placeholders, query, X-Forwarded-*, hop-by-hop), and it is sent through the same undici
 * Agent as HTTP requests, so the outbound policy (on the connected address) and the connect
 * timeout apply unchanged. undici's `upgrade` dispatch option re-adds `Connection: upgrade` and
 * the client's `Upgrade` token upstream.
 *
 * Why `agent.dispatch` with a handler and not `agent.upgrade()`: the latter throws away an
 * upstream that answers anything but 101; a handler sees that answer (`onResponseStart`) and
 * relays it to the client, status, headers and body, then closes the connection.
 *
 * Between routing and the upstream, the route variant's request-side policies run (SPEC 12, by
 * the shared runner in ../pipeline/policies.ts): auth, then rateLimit. A refusal (401, 403, 429,
 * 502 auth-unavailable, or a forward-auth server's own answer) is written on the socket and no
 * upstream connection is made; a pass applies the stages' edits (credential stripped, claims as
 * headers) and `requestHeaders` to the forwarded upgrade request, and the route's response
 * headers (RateLimit, `responseHeaders`) to the 101 or relayed answer. `cache` does not apply:
 * there is no response to store.
 *
 * After the 101 the two sockets are joined (./node-tunnel.ts), idle-timed by the route's
 * `idleTimeout` when it has one, else by the proxy's `upgradeIdleTimeout`.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { classifyUpstreamError, errorBody, ERROR_CONTENT_TYPE, ERROR_MESSAGES, type ProxyErrorBody, type ProxyErrorCode } from '../pipeline/errors.js';
import { endToEndHeaders, firstValue, type HeaderRecord } from '../pipeline/headers.js';
import {
  applyRequestPolicies,
  applyResponsePolicies,
  createPolicyRuntime,
  policyPlan,
  runPolicies,
  type PolicyHostOptions,
  type PolicyPlan,
  type PolicyRuntime,
} from '../pipeline/policies.js';
import type { PolicyAnswer, PolicyContext } from '../policies/types.js';
import { nodePolicyContext } from './node-policies.js';
import type { EventSink } from '../telemetry/events.js';
import { routeRequest } from '../pipeline/route.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import type { KeySource } from '../upstream/hash-key.js';
import { pickTarget, type PickedTarget } from '../upstream/pick.js';
import type { UpstreamRegistry } from '../upstream/registry.js';
import { ClientClosedError } from './client-closed.js';
import { joinSockets, type Tunnel } from './node-tunnel.js';
import { safeReason } from './reason-phrase.js';
import type { AccessLogEntry, ResolvedTimeouts } from './types.js';

/** Default longest silence (both directions) on an upgraded connection before it is closed. */
export const DEFAULT_UPGRADE_IDLE_TIMEOUT = 60_000;

/** The options of the upgrade path that a proxy's user sets. */
export interface UpgradeOptions {
  /**
   * Longest silence, in ms, in both directions of an upgraded connection (a WebSocket) before
   * both sides are closed. Default 60,000; 0 turns it off. A WebSocket ping counts as traffic.
   */
  upgradeIdleTimeout?: number;
}

/** A Node server's 'upgrade' listener: `server.on('upgrade', handler)`. */
export type NodeUpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What the balancer's hash keys read of an upgrade request (SPEC 11 `hash`). */
function keySourceOf(req: IncomingMessage, match: RouteMatch, query: string): KeySource {
  return {
    clientAddress: req.socket.remoteAddress ?? null,
    header: (name) => {
      const v = req.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    query,
    params: match.params,
  };
}

/** One header line set as `name: value` lines (repeated headers stay separate). */
function headerLines(headers: HeaderRecord): string {
  let out = '';
  for (const name in headers) {
    const value = headers[name]!;
    // A value with CR/LF would split the head: such a header cannot be relayed verbatim.
    if (typeof value === 'string') {
      if (!/[\r\n]/.test(value)) out += `${name}: ${value}\r\n`;
    } else for (const v of value) if (!/[\r\n]/.test(v)) out += `${name}: ${v}\r\n`;
  }
  return out;
}

/** Writes a whole HTTP/1.1 response head on a raw socket. */
function writeHead(socket: Duplex, status: number, reason: string | undefined, headers: HeaderRecord): boolean {
  return socket.write(`HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n${headerLines(headers)}\r\n`);
}

/**
 * Writes a whole answer on a raw socket (an HTTP/1.1 response with `Content-Length` and
 * `Connection: close`), then closes it: the socket of an upgrade request cannot go back to the
 * HTTP server, so every answer but a 101 ends the connection.
 */
function sendSocketAnswer(socket: Duplex, status: number, headers: HeaderRecord, body: string | Uint8Array | null): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const bytes = body === null ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  headers['content-length'] = String(bytes.byteLength);
  headers['connection'] = 'close';
  writeHead(socket, status, undefined, headers);
  endAndClose(socket, bytes);
}

/** Answers a pipeline error on a raw socket (an HTTP/1.1 response with the JSON body), then closes it. */
export function sendSocketError(socket: Duplex, status: number, body: ProxyErrorBody, headers?: Readonly<Record<string, string>>): void {
  const all = Object.create(null) as HeaderRecord;
  Object.assign(all, headers, { 'content-type': ERROR_CONTENT_TYPE, 'cache-control': 'no-store' });
  sendSocketAnswer(socket, status, all, JSON.stringify(body));
}

/** Writes a policy stage's answer (a 401/403/429/502 JSON refusal, or a forward-auth server's answer) on a raw socket. */
function sendSocketPolicyAnswer(socket: Duplex, answer: PolicyAnswer): void {
  const headers = Object.create(null) as HeaderRecord;
  Object.assign(headers, answer.headers);
  sendSocketAnswer(socket, answer.status, headers, answer.body);
}

/** Ends a socket (after `last`), and closes it once what was written is flushed. */
function endAndClose(socket: Duplex, last?: string | Uint8Array): void {
  socket.end(last, () => socket.destroy());
}

/** The policies of a request whose route has any: the compiled plan and this request's context. */
interface UpgradePolicy {
  readonly plan: PolicyPlan;
  readonly ctx: PolicyContext;
}

/** The route's response-side policies (responseHeaders, RateLimit) on an answer's headers; cache does not apply to an upgrade. */
function withResponsePolicies(policy: UpgradePolicy | undefined, headers: HeaderRecord): HeaderRecord {
  return policy === undefined ? headers : applyResponsePolicies(policy.plan, policy.ctx, headers);
}

interface ExchangeState {
  readonly req: IncomingMessage;
  readonly started: number;
  readonly log: ((entry: AccessLogEntry) => void) | undefined;
  route: string | null;
  upstreamStatus?: number;
  logged: boolean;
}

/** One access-log entry per upgrade request, when its outcome is known (101, refusal or error). */
function report(state: ExchangeState, status: number, error?: ProxyErrorCode): void {
  if (state.logged || state.log === undefined) return;
  state.logged = true;
  const entry: AccessLogEntry = { method: state.req.method ?? 'GET', path: state.req.url ?? '', route: state.route, status, ms: performance.now() - state.started };
  if (state.upstreamStatus !== undefined) entry.upstreamStatus = state.upstreamStatus;
  if (error !== undefined) entry.error = error;
  try {
    state.log(entry);
  } catch {
    // A logging hook never breaks the proxy.
  }
}

/**
 * The undici side of one upgrade: a 101 joins the sockets; any other answer is relayed to the
 * client (head, then body with backpressure) and the connection closed; a failure before the
 * answer is a JSON error on the socket.
 */
class UpgradeRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private clientGone = false;
  private answered = false;
  private waitingDrain = false;

  constructor(
    private readonly client: Duplex,
    private readonly head: Buffer,
    private readonly state: ExchangeState,
    private readonly target: string | undefined,
    private readonly onTunnel: (client: Duplex, upstream: Duplex, head: Buffer, idleMs: number) => void,
    /** The balancer's bookkeeping for the chosen target (in-flight count, passive health). */
    private readonly picked: PickedTarget,
    /** The tunnel's idle timeout: the route's `idleTimeout`, else the proxy's `upgradeIdleTimeout`. */
    private readonly idleMs: number,
    private readonly policy: UpgradePolicy | undefined,
  ) {
    client.once('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (this.answered) return;
    this.clientGone = true;
    this.picked.done('neutral');
    report(this.state, 499, 'client-closed-request');
    this.controller?.abort(new ClientClosedError());
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientClosedError());
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, upstream: Duplex): void {
    this.answered = true;
    this.client.off('close', this.onClientClose);
    this.picked.done('success');
    if (this.clientGone || this.client.destroyed) {
      upstream.destroy();
      return;
    }
    this.state.upstreamStatus = statusCode;
    const out = withResponsePolicies(this.policy, endToEndHeaders(headers as HeaderRecord));
    // The one place hop-by-hop headers are relayed: they are what a 101 is about.
    out['connection'] = 'Upgrade';
    const token = firstValue(headers['upgrade'] as string | string[] | undefined);
    if (token !== undefined) out['upgrade'] = token;
    writeHead(this.client, 101, undefined, out);
    report(this.state, 101);
    this.onTunnel(this.client, upstream, this.head, this.idleMs);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: not relayed
    this.answered = true;
    this.client.off('close', this.onClientClose);
    this.picked.done(statusCode >= 502 && statusCode <= 504 ? 'failure' : 'success');
    this.state.upstreamStatus = statusCode;
    if (this.client.destroyed) {
      controller.abort(new ClientClosedError());
      return;
    }
    // A refusal (401, 403, 426, a 200 from a server that does not upgrade): relayed as is, and
    // the connection closed after it (the client's socket cannot go back to the HTTP server).
    const out = withResponsePolicies(this.policy, endToEndHeaders(headers as HeaderRecord));
    out['connection'] = 'close';
    writeHead(this.client, statusCode, safeReason(statusMessage), out);
    report(this.state, statusCode);
    this.client.once('close', () => controller.abort(new ClientClosedError()));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.client.destroyed) return;
    if (!this.client.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      controller.pause();
      this.client.once('drain', () => {
        this.waitingDrain = false;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    if (!this.client.destroyed) endAndClose(this.client);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.clientGone) return;
    if (this.answered) {
      // Failed mid-body (or mid-handshake on our side): nothing sensible is left to send.
      this.client.destroy();
      return;
    }
    this.answered = true;
    this.client.off('close', this.onClientClose);
    this.picked.done('failure');
    const c = classifyUpstreamError(err);
    report(this.state, c.status, c.code);
    sendSocketError(this.client, c.status, errorBody(c.code, c.message, this.state.route, this.target), this.policy?.ctx.responseHeaders);
  }
}

/** What `createUpgradeForwarder` needs of its proxy. */
export interface UpgradeForwarderOptions extends UpgradeOptions, PolicyHostOptions {
  agent: Agent;
  /** The proxy's balancer and health state (the HTTP side shares it). */
  upstreams: UpstreamRegistry;
  timeouts: ResolvedTimeouts;
  trustForwardedHeaders: boolean;
  allowEncodedSlashes: boolean;
  exposeTargets: boolean;
  /** Routing events (auth failures, rate-limit refusals) of the policy stages. */
  events?: EventSink;
  /**
   * The proxy's policy runtime, so that HTTP requests and upgrades of one route share its
   * rate-limit buckets. Default: one built from the host options above (its own buckets).
   */
  policies?: PolicyRuntime;
}

export interface UpgradeForwarder {
  /**
   * Routes one upgrade request. Returns false, having written nothing, when no route takes it
   * and `fallthrough` is true (another 'upgrade' listener may take it); true when it is (being)
   * answered: proxied, or refused on the socket.
   */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, router: Router, fallthrough: boolean, log?: (entry: AccessLogEntry) => void, scope?: string): boolean;
  /** Upgraded connections open right now. */
  readonly open: number;
  /** Closes every upgraded connection (both sockets). */
  closeAll(): void;
}

/** The upgrade path of a Node proxy, over its Agent. */
export function createUpgradeForwarder(options: UpgradeForwarderOptions): UpgradeForwarder {
  const idleMs = options.upgradeIdleTimeout ?? DEFAULT_UPGRADE_IDLE_TIMEOUT;
  if (!Number.isFinite(idleMs) || idleMs < 0) {
    throw new TypeError(`upgradeIdleTimeout must be a number of milliseconds >= 0 (0 turns it off), got ${String(idleMs)}`);
  }
  // Built at start-up, so a bad `trustedProxies` entry throws here and not per request.
  const policies = options.policies ?? createPolicyRuntime(options, { sha256: (text) => createHash('sha256').update(text).digest() });
  const tunnels = new Set<Tunnel>();
  const onTunnel = (client: Duplex, upstream: Duplex, head: Buffer, tunnelIdleMs: number): void => {
    const tunnel = joinSockets(client, upstream, head, tunnelIdleMs, () => tunnels.delete(tunnel));
    if (!tunnel.closed) tunnels.add(tunnel);
  };

  /** Picks the upstream, builds the upgrade request (with the policies' edits) and dispatches it. */
  function forward(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    router: Router,
    match: RouteMatch,
    query: string,
    state: ExchangeState,
    scope: string,
    policy?: UpgradePolicy,
  ): void {
    // A route's targets and balancer pick the upstream for a new connection (SPEC 11), as for HTTP.
    const picked = pickTarget(options.upstreams, router, match, keySourceOf(req, match, query), { scope });
    const conn = req.socket as Socket & { encrypted?: boolean };
    const request = buildProxyRequest(
      match,
      { method: req.method ?? 'GET', query, headers: req.rawHeaders, clientAddress: conn.remoteAddress ?? null, protocol: conn.encrypted ? 'https' : 'http' },
      { trustForwardedHeaders: options.trustForwardedHeaders },
      picked.target,
    );
    // Credentials stripped, claims and forward-auth headers set, then `requestHeaders`: as for HTTP.
    if (policy !== undefined) applyRequestPolicies(policy.plan, policy.ctx, request.headers);
    const shown = options.exposeTargets ? request.url : undefined;
    const token = req.headers.upgrade;
    if (token === undefined || token === '') {
      // Node emits 'upgrade' only for a request with an Upgrade header, but a host may call
      // this for any request: without a protocol to switch to there is nothing to proxy.
      picked.done('neutral');
      report(state, 501, 'method-not-supported');
      sendSocketError(socket, 501, errorBody('method-not-supported', ERROR_MESSAGES['method-not-supported'], state.route, shown), policy?.ctx.responseHeaders);
      return;
    }
    // SPEC 11 `idleTimeout` of the route (validated >= 1 ms) overrides the proxy-wide value for its tunnels.
    const tunnelIdleMs = match.variant.upstream.idleTimeout ?? idleMs;
    options.agent.dispatch(
      {
        origin: request.origin,
        path: request.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers as Record<string, string | string[]>,
        body: null,
        upgrade: token,
        headersTimeout: options.timeouts.headers,
        bodyTimeout: options.timeouts.bodyIdle,
      },
      new UpgradeRelay(socket, head, state, shown, onTunnel, picked, tunnelIdleMs, policy),
    );
  }

  /** Runs the route's auth and rateLimit stages: a refusal is written on the socket, a pass forwards. */
  function withPolicies(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    router: Router,
    match: RouteMatch,
    path: string,
    query: string,
    plan: PolicyPlan,
    state: ExchangeState,
    scope: string,
  ): void {
    const ctx = nodePolicyContext(policies, req, match, path, query);
    const go = (answer: PolicyAnswer | undefined): void => {
      if (answer !== undefined) {
        report(state, answer.status, answer.code as ProxyErrorCode | undefined);
        sendSocketPolicyAnswer(socket, answer);
      } else if (socket.destroyed) {
        // Destroyed while an asynchronous stage ran (a socket error): no upstream connection for
        // nobody. A client's FIN is not seen here (the upgrade socket is not read before the
        // 101); once forwarded, the tunnel reads its end and closes both sides.
        report(state, 499, 'client-closed-request');
      } else forward(req, socket, head, router, match, ctx.query, state, scope, { plan, ctx });
    };
    const result = runPolicies(plan, ctx, policies.env);
    if (!(result instanceof Promise)) return go(result);
    result.then(go).catch((err: unknown) => {
      const c = classifyUpstreamError(err);
      report(state, c.status, c.code);
      sendSocketError(socket, c.status, errorBody(c.code, c.message, state.route), ctx.responseHeaders);
    });
  }

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer, router: Router, fallthrough: boolean, log?: (entry: AccessLogEntry) => void, scope = ''): boolean {
    const state: ExchangeState = { req, started: performance.now(), log, route: null, logged: false };
    try {
      const decision = routeRequest(
        router,
        req.url ?? '',
        { method: req.method ?? 'GET', host: req.headers.host ?? null, headers: req.headers },
        { allowEncodedSlashes: options.allowEncodedSlashes, fallthrough },
      );
      if (decision.kind === 'fall-through') return false;
      // From here the socket is ours: an error on it must never crash the host.
      socket.on('error', () => socket.destroy());
      if (decision.kind === 'answer') {
        report(state, decision.status, decision.code);
        sendSocketError(socket, decision.status, decision.body, decision.headers);
        return true;
      }
      state.route = decision.match.pattern;
      // Policies (SPEC 12) run after routing and before any upstream is picked or connected to.
      const plan = policyPlan(decision.match.variant);
      if (plan === null) forward(req, socket, head, router, decision.match, decision.query, state, scope);
      else withPolicies(req, socket, head, router, decision.match, decision.path, decision.query, plan, state, scope);
      return true;
    } catch (err) {
      const c = classifyUpstreamError(err);
      report(state, c.status, c.code);
      socket.on('error', () => socket.destroy());
      sendSocketError(socket, c.status, errorBody(c.code, c.message, state.route));
      return true;
    }
  }

  return {
    handle,
    get open() {
      return tunnels.size;
    },
    closeAll() {
      for (const t of [...tunnels]) t.close();
    },
  };
}
