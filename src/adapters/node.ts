/**
 * What the Fastify plugin and the Express middleware share: a route table in, a function
 * that either proxies a Node request (through the proxy's `createNodeProxy`) or says "not
 * mine, let the app answer". Thin on purpose: normalization, matching and forwarding are the
 * core's and the proxy's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compile } from '../match/router.js';
import type { Router } from '../match/types.js';
import { normalizePath } from '../normalize/path.js';
import type { CompileOptions } from '../options.js';
import { createNodeProxy, type NodeProxy, type NodeProxyOptions } from '../proxy/index.js';

/** Options of the Fastify plugin and the Express middleware. */
export interface RoutingAdapterOptions extends Omit<NodeProxyOptions, 'router'> {
  /**
   * The route table (SPEC section 1), compiled once with `compileOptions`; an invalid table
   * throws `RoutesValidationError` when the adapter is created, listing every problem.
   */
  routes?: unknown;
  /** Options for compiling `routes` (case sensitivity, trailing slash, limits, backend). */
  compileOptions?: CompileOptions;
  /** Or a compiled router, or a getter called per request (to swap tables without a restart). */
  router?: Router | (() => Router);
  /**
   * A request whose path cannot be routed (malformed escapes, `%2F`, control characters,
   * too long): `false` (default) passes it to the app like any request no route matches;
   * `true` answers it 400/414 JSON as the standalone gateway does.
   */
  rejectInvalidPaths?: boolean;
}

export interface RouteForwarder {
  /** True when the request is (being) answered by the proxy; false: nothing written, the app answers. */
  route(req: IncomingMessage, res: ServerResponse): boolean;
  readonly proxy: NodeProxy;
  close(graceMs?: number): Promise<void>;
}

export function createRouteForwarder(options: RoutingAdapterOptions, who: string): RouteForwarder {
  const { routes, compileOptions, router: given, rejectInvalidPaths = false, ...proxyOptions } = options;
  if ((routes === undefined) === (given === undefined)) {
    throw new TypeError(`${who}: pass exactly one of \`routes\` (a route table) and \`router\` (a compiled router or a getter)`);
  }
  const source: Router | (() => Router) = given ?? compile(routes, compileOptions);
  const proxy = createNodeProxy(proxyOptions);
  const allowEncodedSlashes = options.allowEncodedSlashes === true;
  return {
    proxy,
    route(req, res) {
      const router = typeof source === 'function' ? source() : source;
      if (rejectInvalidPaths) return proxy.handle(req, res, router, true);
      const limits = router.options.limits;
      const normalized = normalizePath(req.url ?? '', { maxPathLength: limits.maxPathLength, maxSegments: limits.maxSegments, allowEncodedSlashes });
      if (!normalized.ok) return false;
      const match = router.match(normalized.path);
      if (match === null) return false;
      proxy.forward(req, res, match, normalized.query);
      return true;
    },
    close: (graceMs) => proxy.close(graceMs),
  };
}
