/**
 * A `FetchTransport` on the platform's `fetch` (sandboxes, SGX, edge, workers): redirects are
 * not followed, the headers timeout aborts the request, the body idle timeout ends the body.
 * Pure: no Node built-ins.
 */
import { endToEndHeaders, toFetchHeaders, toHeaderRecord } from '../pipeline/headers.js';
import type { FetchTransport } from './fetch-types.js';
import { isNullBodyStatus } from './http-status.js';

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
export function createFetchTransport(options: FetchTransportOptions = {}): FetchTransport {
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
    const out = toFetchHeaders(endToEndHeaders(record));
    const body =
      isNullBodyStatus(upstream.status) || request.method === 'HEAD' || upstream.body === null
        ? null
        : withIdleTimeout(upstream.body, context.timeouts.bodyIdle, () => controller.abort(new UpstreamTimeoutError('body')));
    if (body === null) context.signal.removeEventListener('abort', onAbort);
    return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: out });
  };
}
