/**
 * `createNodeRuntimeRouter`: the runtime router for Node hosts. Upstream requests go through
 * undici (a keep-alive pool per upstream origin, bytes passed through, the outbound policy
 * applied to the address each connection actually reaches), and `handleNodeRequest` serves a
 * Node `http` request directly.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Agent } from 'undici';
import { MemoryRateLimitStore } from '../policies/rate-limit/memory-store.js';
import { createNodeProxy } from '../proxy/node-proxy.js';
import { createUndiciTransport } from '../proxy/undici-transport.js';
import type { UpgradeOptions } from '../proxy/node-upgrade.js';
import { closeAgent, createUpstreamAgent, type UpstreamOptions } from '../proxy/upstream-agent.js';
import { createRuntimeCore, runtimeRouterFrom, type RuntimeRouter, type RuntimeRouterOptions } from './router.js';

export interface NodeRuntimeRouterOptions extends Omit<RuntimeRouterOptions, 'transport'>, Omit<UpstreamOptions, 'blockPrivateNetworks' | 'timeouts'>, UpgradeOptions {}

export interface NodeRuntimeRouter extends RuntimeRouter {
  /**
   * Serves a Node `http` request: resolves true when the request was proxied (or answered with
   * an error), false, having touched nothing, when the function's own code should run.
   */
  handleNodeRequest(functionId: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /**
   * Serves a Node server's 'upgrade' event (a WebSocket) for a function: resolves true when the
   * upgrade was proxied (or refused on the socket), false, having touched nothing, when the
   * function's own code should take the socket. Upgraded connections obey `upgradeIdleTimeout`
   * and the outbound policy, like requests.
   */
  handleNodeUpgrade(functionId: string, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean>;
  /** The undici Agent: one keep-alive Pool per upstream origin. */
  readonly agent: Agent;
}

/** The runtime router on Node: `handleRequest`/`handleInvocation` (fetch) and `handleNodeRequest` (http). */
export function createNodeRuntimeRouter(options: NodeRuntimeRouterOptions): NodeRuntimeRouter {
  const blockPrivateNetworks = options.blockPrivateNetworks !== false;
  const agent = createUpstreamAgent({ ...options, blockPrivateNetworks });
  // One set of rate-limit buckets whether a request arrives as a Request or a Node request.
  const rateLimitStore = options.rateLimitStore ?? new MemoryRateLimitStore();
  const core = createRuntimeCore({ ...options, rateLimitStore, blockPrivateNetworks, transport: createUndiciTransport({ agent }) });
  // One upstream state for both interfaces: a function's targets are healthy or not whichever serves it.
  const proxy = createNodeProxy({ ...options, rateLimitStore, router: undefined, onRequest: undefined, blockPrivateNetworks, agent, upstreams: core.upstreams });
  const fetchSide = runtimeRouterFrom(core);
  return {
    ...fetchSide,
    agent,
    async handleNodeRequest(functionId, req, res) {
      const r = core.cache.get(functionId);
      const router = r instanceof Promise ? await r : r;
      if (router === null) return false;
      return proxy.handle(req, res, router, true, core.logFor(functionId), functionId);
    },
    async handleNodeUpgrade(functionId, req, socket, head) {
      const r = core.cache.get(functionId);
      const router = r instanceof Promise ? await r : r;
      if (router === null) return false;
      return proxy.handleUpgrade(req, socket, head, router, true, core.logFor(functionId), functionId);
    },
    async close() {
      core.cache.clear();
      core.upstreams.close();
      await proxy.close(0);
      await closeAgent(agent);
    },
  };
}
