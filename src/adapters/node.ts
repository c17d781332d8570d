/**
 * What the Fastify plugin and the Express middleware share: a route table in, a function that
 * either answers a Node request (proxied, or refused 400/414 like every entry point) or says
 * "not mine, let the app answer". Thin on purpose: the routing step is the pipeline's, the
 * forwarding the Node proxy's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendSocketError } from '../proxy/node-upgrade.js';
import { createNodeProxy, type NodeProxy, type NodeProxyOptions } from '../proxy/node-proxy.js';
import { currentRouter } from '../proxy/types.js';
import { errorBody, ERROR_MESSAGES } from '../pipeline/errors.js';
import { adapterRouter, type AdapterRoutesOptions } from './router-source.js';

/**
 * Options of `createFastifyPlugin` and `createExpressMiddleware` (the same for both): the table
 * (`routes` or `router`) and the Node proxy's options (timeouts, outbound policy, access log,
 * upstream pools).
 */
export interface NodeAdapterOptions extends AdapterRoutesOptions, Omit<NodeProxyOptions, 'router'> {}

export interface RouteForwarder {
  /** True when the request is (being) answered here; false: nothing written, the app answers. */
  route(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * A Node server's 'upgrade' listener (WebSockets): an upgrade the table takes is proxied;
   * one it does not goes to `next` (another listener's), or without `next` is answered 404 on
   * the socket (a socket nobody answers would hang).
   */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, next?: () => void) => void;
  readonly proxy: NodeProxy;
  close: (graceMs?: number) => Promise<void>;
}

export function createRouteForwarder(options: NodeAdapterOptions, who: string): RouteForwarder {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- destructured only to leave them out of the rest
  const { routes: _routes, compileOptions: _compileOptions, router: _router, ...proxyOptions } = options;
  const source = adapterRouter(options, who);
  const proxy = createNodeProxy(proxyOptions);
  return {
    proxy,
    // A router getter that throws propagates: the framework's error handling answers.
    route: (req, res) => proxy.handle(req, res, currentRouter(source), true),
    upgrade: (req, socket, head, next) => {
      let router;
      try {
        router = currentRouter(source);
      } catch {
        // No framework error handler sits on the 'upgrade' path: answer here.
        socket.on('error', () => socket.destroy());
        sendSocketError(socket, 502, errorBody('upstream-error', ERROR_MESSAGES['upstream-error'], null));
        return;
      }
      if (!proxy.handleUpgrade(req, socket, head, router, next !== undefined)) next!();
    },
    close: (graceMs) => proxy.close(graceMs),
  };
}
