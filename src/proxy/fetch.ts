/**
 * The fetch-standard handler: `Request` in, `Response` (or `null`: run the function) out. For
 * sandboxed, SGX and edge runtimes: nothing here needs a Node built-in. How the request reaches
 * the upstream is a `FetchTransport`: on Node, `createUndiciTransport` (src/proxy/node.ts) is
 * byte-exact and applies the outbound policy at connection time; elsewhere `fetchTransport()`
 * wraps the platform's `fetch`.
 */
import type { Router } from '../match/types.js';
import { normalizePath } from '../normalize/path.js';
import { classifyUpstreamError, errorBody, errorResponse, ERROR_MESSAGES, type ProxyErrorCode } from './errors.js';
import { HOP_BY_HOP_HEADERS, addConnectionTokens, toHeaderRecord, type HeaderRecord, type HeadersInput } from './headers.js';
import { checkTargetHost } from './policy.js';
import { buildProxyRequest, type ProxyRequest } from './request.js';
import { currentRouter, resolveTimeouts, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource } from './types.js';

/** A request body as the fetch interfaces carry it. */
export type FetchBody = ReadableStream<Uint8Array> | Uint8Array | string | null;

export interface TransportContext {
  /** Aborted when the client goes away: stop talking to the upstream. */
  signal: AbortSignal;
  timeouts: ResolvedTimeouts;
}

/**
 * Sends a built request upstream and resolves with the upstream's response, hop-by-hop headers
 * removed, body streaming. Rejects with the transport's error (classified by
 * `classifyUpstreamError`). Never follows redirects.
 */
export type FetchTransport = (request: ProxyRequest<FetchBody>, context: TransportContext) => Promise<Response>;

/** What the fetch-side pipeline needs from a request, whatever shape it arrived in. */
export interface FetchIncoming {
  method: string;
  /** The raw request target: path and query as sent (`/a/b?x=1`). */
  target: string;
  headers: HeadersInput;
  body: FetchBody;
  /** The host the client asked for, when `headers` hold no `Host`. */
  host?: string | null;
  protocol?: string;
  clientAddress?: string | null;
  signal?: AbortSignal | null;
}

/** Per-request facts a `Request` does not carry. */
export interface ClientInfo {
  /** The client's address, appended to X-Forwarded-For. */
  clientAddress?: string | null;
}

/**
 * `blockPrivateNetworks` here judges IP-literal targets; to judge DNS answers and connected
 * addresses too, give the transport the policy (`createUndiciTransport({ blockPrivateNetworks: true })`).
 */
export interface FetchHandlerOptions extends ProxyCommonOptions {
  router: RouterSource;
  /** How requests reach upstreams. Default: `fetchTransport()` (the platform's `fetch`). */
  transport?: FetchTransport;
  /**
   * When no route matches: `true` (default) resolves `null` so the host runs its own code;
   * `false` answers 404 JSON (a standalone gateway).
   */
  fallthrough?: boolean;
}

/** `Request` in; the proxied `Response`, an error `Response`, or `null` (no route: run the function). */
export type FetchHandler = (request: Request, info?: ClientInfo) => Promise<Response | null>;

/** Statuses whose responses never have a body. */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export function isNullBodyStatus(status: number): boolean {
  return NULL_BODY_STATUS.has(status);
}

/** Where the authority of an absolute URL ends (the first `/`, `?` or `#` after `scheme://`). */
function authorityEnd(url: string, start: number): number {
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) return i;
  }
  return url.length;
}

/** The request target (`/path?query`) of an absolute URL, without parsing (and so re-normalizing) it. */
export function requestTargetOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const rest = url.slice(authorityEnd(url, scheme + 3));
  return rest === '' || rest.charCodeAt(0) !== 0x2f ? '/' + rest : rest;
}

/** The `host[:port]` of an absolute URL (user info removed), or null. */
function authorityOf(url: string): string | null {
  const scheme = url.indexOf('://');
  if (scheme < 0) return null;
  const authority = url.slice(scheme + 3, authorityEnd(url, scheme + 3));
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  return host === '' ? null : host;
}

/** Converts a fetch `Request` to the pipeline's shape. */
export function fromRequest(request: Request, info?: ClientInfo): FetchIncoming {
  const url = request.url;
  const colon = url.indexOf(':');
  const method = request.method;
  return {
    method,
    target: requestTargetOf(url),
    headers: request.headers,
    body: method === 'GET' || method === 'HEAD' ? null : request.body,
    host: authorityOf(url),
    protocol: colon > 0 ? url.slice(0, colon) : 'http',
    clientAddress: info?.clientAddress ?? null,
    signal: request.signal,
  };
}

export interface FetchPipelineOptions extends ProxyCommonOptions {
  transport: FetchTransport;
}

function safeLog(onRequest: ((entry: AccessLogEntry) => void) | undefined, entry: AccessLogEntry): void {
  if (!onRequest) return;
  try {
    onRequest(entry);
  } catch {
    // A logging hook never breaks a request.
  }
}

/**
 * Routes one request through `router`: normalize, match, forward. Resolves `null` when nothing
 * matches and `fallthrough` is set; every failure becomes an error `Response`.
 */
export async function routeFetch(options: FetchPipelineOptions, router: Router, incoming: FetchIncoming, fallthrough: boolean): Promise<Response | null> {
  const started = now();
  const log = (route: string | null, status: number, extra: Partial<AccessLogEntry> = {}): void =>
    safeLog(options.onRequest, { method: incoming.method, path: incoming.target, route, status, ms: now() - started, ...extra });

  const limits = router.options.limits;
  const normalized = normalizePath(incoming.target, {
    maxPathLength: limits.maxPathLength,
    maxSegments: limits.maxSegments,
    allowEncodedSlashes: options.allowEncodedSlashes === true,
  });
  if (!normalized.ok) {
    log(null, normalized.status, { error: normalized.code });
    return errorResponse(normalized.status, errorBody(normalized.code, normalized.message, null), incoming.method);
  }
  const match = router.match(normalized.path);
  if (match === null) {
    if (fallthrough) return null;
    log(null, 404, { error: 'route-not-found' });
    return errorResponse(404, errorBody('route-not-found', ERROR_MESSAGES['route-not-found'], null), incoming.method);
  }
  const request = buildProxyRequest<FetchBody>(
    match,
    {
      method: incoming.method,
      query: normalized.query,
      headers: incoming.headers,
      clientAddress: incoming.clientAddress ?? null,
      protocol: incoming.protocol ?? 'http',
      host: incoming.host ?? null,
      body: incoming.body,
    },
    { trustForwardedHeaders: options.trustForwardedHeaders === true },
  );
  const fail = (status: number, code: ProxyErrorCode, message: string): Response => {
    log(match.pattern, status, { error: code });
    return errorResponse(status, errorBody(code, message, match.pattern, options.exposeTargets ? request.url : undefined), incoming.method);
  };
  if (request.method === 'CONNECT') return fail(501, 'method-not-supported', ERROR_MESSAGES['method-not-supported']);
  if (options.blockPrivateNetworks) {
    const blocked = checkTargetHost(request.origin);
    if (blocked) return fail(502, 'outbound-blocked', ERROR_MESSAGES['outbound-blocked']);
  }
  const signal = incoming.signal ?? new AbortController().signal;
  try {
    const response = await options.transport(request, { signal, timeouts: resolveTimeouts(options.timeouts) });
    log(match.pattern, response.status, { upstreamStatus: response.status });
    return response;
  } catch (err) {
    if (signal.aborted) {
      log(match.pattern, 499, { error: 'client-closed-request' });
      return errorResponse(499, errorBody('client-closed-request', ERROR_MESSAGES['client-closed-request'], match.pattern), incoming.method);
    }
    const c = classifyUpstreamError(err);
    return fail(c.status, c.code, c.message);
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * A fetch-standard handler for one route table: `(request, info?) => Response | null`.
 * Without a `transport` it uses `fetchTransport()`; on Node pass `createUndiciTransport()`.
 */
export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  const pipeline: FetchPipelineOptions = { ...options, transport: options.transport ?? fetchTransport() };
  const fallthrough = options.fallthrough !== false;
  return async (request, info) => {
    try {
      return await routeFetch(pipeline, currentRouter(options.router), fromRequest(request, info), fallthrough);
    } catch {
      return errorResponse(502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null), request.method);
    }
  };
}

/** Response headers without hop-by-hop ones, as a fetch `Headers` (every Set-Cookie kept). */
export function responseHeaders(record: HeaderRecord): Headers {
  const named = new Set<string>();
  addConnectionTokens(record['connection'], named);
  const headers = new Headers();
  for (const name in record) {
    if (HOP_BY_HOP_HEADERS.has(name) || named.has(name)) continue;
    const value = record[name]!;
    if (typeof value === 'string') headers.append(name, value);
    else for (const v of value) headers.append(name, v);
  }
  return headers;
}

export interface FetchTransportOptions {
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Whether this `fetch` decodes `content-encoding` (the Fetch standard says it does). When it
   * does (default true), `content-encoding` and `content-length` are dropped from the response,
   * because they describe bytes the client will not receive.
   */
  decodesBody?: boolean;
}

class UpstreamTimeoutError extends Error {
  readonly code = 'ERR_UPSTREAM_TIMEOUT';
  constructor(what: string) {
    super(`The upstream ${what} timed out`);
    this.name = 'UpstreamTimeoutError';
  }
}

/** Ends the body with an error when no chunk arrives for `ms`. */
function withIdleTimeout(body: ReadableStream<Uint8Array>, ms: number, onTimeout: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer = setTimeout(() => {
        const err = new UpstreamTimeoutError('body');
        onTimeout();
        controller.error(err);
        reader.cancel(err).catch(() => {});
      }, ms);
      try {
        const { done, value } = await reader.read();
        clearTimeout(timer);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        clearTimeout(timer);
        try {
          controller.error(err);
        } catch {
          // Already errored by the timeout.
        }
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
}

/**
 * A transport on the platform's `fetch` (sandboxes, SGX, edge): redirects are not followed,
 * the headers timeout aborts the request, and the body idle timeout ends the body. The policy
 * can only be checked on IP-literal targets here (DNS is the platform's): restrict egress in
 * the sandbox too. The standard `fetch` decodes compressed bodies, so those arrive decoded
 * (see `decodesBody`); use `createUndiciTransport` on Node for byte-exact bodies.
 */
export function fetchTransport(options: FetchTransportOptions = {}): FetchTransport {
  const decodes = options.decodesBody !== false;
  return async (request, context) => {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const headers = new Headers();
    for (const name in request.headers) {
      if (name === 'host' || name === 'content-length') continue; // fetch sets both itself
      const value = request.headers[name]!;
      if (typeof value === 'string') headers.append(name, value);
      else for (const v of value) headers.append(name, v);
    }
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(context.signal.reason);
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new UpstreamTimeoutError('headers'));
    }, context.timeouts.headers);
    let upstream: Response;
    try {
      const init: RequestInit & { duplex?: 'half' } = {
        method: request.method,
        headers,
        redirect: 'manual',
        signal: controller.signal,
      };
      if (request.body !== null && request.body !== undefined) {
        init.body = request.body as NonNullable<RequestInit['body']>;
        init.duplex = 'half';
      }
      upstream = await fetchImpl(request.url, init);
    } catch (err) {
      context.signal.removeEventListener('abort', onAbort);
      if (timedOut) throw new UpstreamTimeoutError('headers');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const record = toHeaderRecord(upstream.headers);
    if (decodes && record['content-encoding'] !== undefined && upstream.body !== null) {
      delete record['content-encoding'];
      delete record['content-length'];
    }
    const out = responseHeaders(record);
    const body =
      isNullBodyStatus(upstream.status) || request.method === 'HEAD' || upstream.body === null
        ? null
        : withIdleTimeout(upstream.body, context.timeouts.bodyIdle, () => controller.abort(new UpstreamTimeoutError('body')));
    if (body === null) context.signal.removeEventListener('abort', onAbort);
    return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: out });
  };
}
