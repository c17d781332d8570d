/**
 * Express (and Connect-style) middleware: requests the route table matches are proxied
 * (streamed both ways, SPEC section 8); every other request goes on to the app's own routes.
 *
 *     app.use(expressRoutingMiddleware({ routes: { '/api/users/*': 'https://users.svc' } }));
 *
 * Register it before body parsers (`express.json()`): a proxied request's body is streamed
 * upstream untouched, so nothing may read it first. Mounted under a path (`app.use('/gw', mw)`)
 * it matches the path below the mount point, which Express leaves in `req.url`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRouteForwarder, type RoutingAdapterOptions } from './node.js';
import type { NodeProxy } from '../proxy/index.js';

/** `(req, res, next)`: Express's `RequestHandler` shape, written with Node's types only. */
export interface ExpressRoutingMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** The proxy behind it (its undici Agent holds the upstream connection pools). */
  readonly proxy: NodeProxy;
  /** Closes the upstream connections (after in-flight requests, at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

export function expressRoutingMiddleware(options: RoutingAdapterOptions): ExpressRoutingMiddleware {
  const forwarder = createRouteForwarder(options, 'expressRoutingMiddleware');
  const middleware = ((req, res, next) => {
    let handled: boolean;
    try {
      handled = forwarder.route(req, res);
    } catch (err) {
      next(err); // a router getter that threw: Express's error handling answers
      return;
    }
    if (!handled) next();
  }) as ExpressRoutingMiddleware;
  Object.defineProperty(middleware, 'proxy', { value: forwarder.proxy });
  middleware.close = forwarder.close;
  return middleware;
}
