/** A Node proxy over a table of route objects, on 127.0.0.1, for the policy tests. */
import { compile, createNodeProxy, type NodeProxyOptions } from '../../src/index.js';
import type { RoutingEvent } from '../../src/telemetry/events.js';
import { startServer, type TestServer } from './servers.js';

export interface PolicyProxy extends TestServer {
  events: RoutingEvent[];
}

export async function startPolicyProxy(routes: Record<string, unknown>, options: Omit<NodeProxyOptions, 'router'> = {}): Promise<PolicyProxy> {
  const events: RoutingEvent[] = [];
  const proxy = createNodeProxy({ ...options, router: compile(routes as never, { backend: 'js' }), events: { emit: (e) => events.push(e) } });
  const server = await startServer((req, res) => proxy.handler(req, res));
  return {
    ...server,
    events,
    close: async () => {
      await server.close();
      await proxy.close(100);
    },
  };
}

/** `sha256:<hex>` of a key, as a table stores it. */
export async function keyHash(key: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return 'sha256:' + createHash('sha256').update(key).digest('hex');
}
