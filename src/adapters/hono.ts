/**
 * Hono middleware over the fetch handler: requests the route table takes are proxied; every
 * other request goes on to the app's own routes (and its own 404). A path that cannot be
 * routed (`%2F`, `%00`, too long, too many segments) is answered 400/414 JSON here, as by
 * every entry point.
 *
 *     app.use('*', createHonoMiddleware({ routes: { '/api/users/*': 'https://users.svc' } }));
 *
 * Node-free, so it runs wherever Hono does (Node, Bun, Deno, workers). On Node pass
 * `transport: createUndiciTransport()` for byte-exact bodies and the outbound policy applied at
 * connection time; the default `createFetchTransport()` uses the platform's `fetch`.
 * Structurally typed: this package does not depend on Hono's types.
 */
import { createFetchHandler } from '../proxy/fetch-handler.js';
import type { FetchTransport } from '../proxy/fetch-types.js';
import type { ProxyCommonOptions } from '../proxy/types.js';
import { adapterRouter, type AdapterRoutesOptions } from './router-source.js';

/** The parts of Hono's `Context` the middleware reads. */
export interface HonoContextLike {
  req: { raw: Request };
  /** The server's bindings: on @hono/node-server, `{ incoming, outgoing }`. */
  env?: unknown;
}

export interface HonoMiddlewareOptions extends AdapterRoutesOptions, ProxyCommonOptions {
  /** How requests reach upstreams. Default `createFetchTransport()` (the platform's fetch). */
  transport?: FetchTransport;
  /**
   * The client's address for X-Forwarded-For. Default: the socket's address on
   * @hono/node-server (`c.env.incoming.socket.remoteAddress`), otherwise none. On other
   * platforms read it from the context (e.g. a `cf-connecting-ip` header you trust).
   */
  clientAddress?: (c: HonoContextLike) => string | null | undefined;
}

/** `(c, next)`: Hono's `MiddlewareHandler` shape. */
export type HonoMiddleware = (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void>;

function nodeServerAddress(c: HonoContextLike): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/** Hono middleware: `app.use('*', createHonoMiddleware({ routes }))`. */
export function createHonoMiddleware(options: HonoMiddlewareOptions): HonoMiddleware {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- destructured only to leave them out of the rest
  const { routes: _routes, compileOptions: _compileOptions, router: _router, clientAddress = nodeServerAddress, ...handlerOptions } = options;
  const handler = createFetchHandler({ ...handlerOptions, router: adapterRouter(options, 'createHonoMiddleware'), fallthrough: true });
  return async (c, next) => {
    const response = await handler(c.req.raw, { clientAddress: clientAddress(c) ?? null });
    if (response !== null) return response;
    await next();
  };
}
