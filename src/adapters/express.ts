/**
 * Express (and Connect-style) middleware: requests the route table matches are proxied
 * (streamed both ways, SPEC section 8); every other request goes on to the app's own routes.
 *
 *     app.use(createExpressMiddleware({ routes: { '/api/users/*': 'https://users.svc' } }));
 *
 * Register it before body parsers (`express.json()`): a proxied request's body is streamed
 * upstream untouched, so nothing may read it first. Mounted under a path (`app.use('/gw', mw)`)
 * it matches the path below the mount point, which Express leaves in `req.url`. A path that
 * cannot be routed (`%2F`, `%00`, too long, too many segments) is answered 400/414 JSON here,
 * as by every entry point, and never reaches the app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NodeProxy } from '../proxy/node-proxy.js';
import { createRouteForwarder, type NodeAdapterOptions } from './node.js';

/** `(req, res, next)`: Express's `RequestHandler` shape, written with Node's types only. */
export interface ExpressMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /**
   * The 'upgrade' listener for WebSockets (Express never sees upgrades: register it on the
   * HTTP server, `app.listen(...).on('upgrade', middleware.upgrade)`). An upgrade the table does
   * not take is answered 404, or passed to `next` when given.
   */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, next?: () => void) => void;
  /** The proxy behind it (its undici Agent holds the upstream connection pools). */
  readonly proxy: NodeProxy;
  /** Closes the upstream connections (after in-flight requests, at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Express (or Connect) middleware over the Node proxy: `app.use(createExpressMiddleware({ routes }))`. */
export function createExpressMiddleware(options: NodeAdapterOptions): ExpressMiddleware {
  const forwarder = createRouteForwarder(options, 'createExpressMiddleware');
  const middleware = ((req, res, next) => {
    let handled: boolean;
    try {
      handled = forwarder.route(req, res);
    } catch (err) {
      next(err); // a router getter that threw: Express's error handling answers
      return;
    }
    if (!handled) next();
  }) as ExpressMiddleware;
  Object.defineProperty(middleware, 'proxy', { value: forwarder.proxy });
  Object.defineProperty(middleware, 'upgrade', { value: forwarder.upgrade });
  middleware.close = forwarder.close;
  return middleware;
}
