/** A gateway (or any Node proxy handler) served on 127.0.0.1, closed with its pools. */
import { compile, createGateway, createNodeProxy, type AccessLogEntry, type GatewayOptions, type NodeProxy, type NodeProxyOptions, type Router } from '../../src/index.js';
import { startServer, type TestServer } from './servers.js';

export interface RunningGateway extends TestServer {
  log: AccessLogEntry[];
}

/** Serves `createGateway(options)` (a route table may be given instead of a router). */
export async function startGateway(routes: Record<string, string> | Router, options: Omit<GatewayOptions, 'router'> = {}): Promise<RunningGateway> {
  const router = 'match' in routes && typeof routes.match === 'function' ? (routes as Router) : compile(routes as Record<string, string>, { backend: 'js' });
  const log: AccessLogEntry[] = [];
  const gateway = createGateway({
    ...options,
    router,
    onRequest: (e) => {
      log.push(e);
      options.onRequest?.(e);
    },
  });
  const server = await startServer(gateway.handler);
  return {
    ...server,
    log,
    close: async () => {
      await server.close();
      await gateway.close();
    },
  };
}

export interface RunningProxy extends TestServer {
  proxy: NodeProxy;
  log: AccessLogEntry[];
}

/** Serves `createNodeProxy(options)` as a standalone gateway. */
export async function startNodeProxy(routes: Record<string, string>, options: Omit<NodeProxyOptions, 'router'> = {}): Promise<RunningProxy> {
  const log: AccessLogEntry[] = [];
  const proxy = createNodeProxy({ ...options, router: compile(routes, { backend: 'js' }), onRequest: (e) => log.push(e) });
  const server = await startServer((req, res) => proxy.handler(req, res));
  return {
    ...server,
    proxy,
    log,
    close: async () => {
      await server.close();
      await proxy.close();
    },
  };
}
