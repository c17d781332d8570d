/**
 * `createRuntimeRouter`: the Functions runtime's entry (SPEC section 9). For each request to a
 * function: load (cached) the function's routes, match, and either return the proxied
 * `Response` or `null`, which means "run the user's function". Fetch-standard and free of Node
 * built-ins, so it serves sandboxed and SGX runtimes with the TypeScript backend; on Node,
 * `createNodeRuntimeRouter` (./node.ts) adds undici pools and a Node `http` variant.
 */
import type { Router } from '../match/types.js';
import { errorBody, ERROR_MESSAGES } from '../pipeline/errors.js';
import { createPolicyRuntime } from '../pipeline/policies.js';
import { errorResponse } from '../proxy/fetch-error.js';
import { routeFetch, transportProber, upgradeFor, type FetchPipelineOptions, type FetchUpgradeHook } from '../proxy/fetch-handler.js';
import { createUpstreamRegistry, type UpstreamRegistry } from '../upstream/registry.js';
import { fromRequest } from '../proxy/fetch-request.js';
import { createFetchTransport } from '../proxy/fetch-transport.js';
import type { ClientInfo, FetchTransport } from '../proxy/fetch-types.js';
import { fromInvocation, type FunctionInvocation, type InvocationInfo } from '../proxy/invocation.js';
import type { AccessLogEntry, ProxyCommonOptions } from '../proxy/types.js';
import { RouterCache, type RouterCacheOptions, type RouterCacheStats } from './cache.js';

/** An access-log entry of the runtime: which function it was for. */
export interface RuntimeAccessLogEntry extends AccessLogEntry {
  functionId: string;
}

export interface RuntimeRouterOptions extends RouterCacheOptions, Omit<ProxyCommonOptions, 'onRequest' | 'blockPrivateNetworks'> {
  /**
   * Refuse upstreams at loopback, private, link-local, CGNAT, unique-local or other non-public
   * addresses. Default true: the runtime is multi-tenant.
   */
  blockPrivateNetworks?: boolean;
  /** How requests reach upstreams. Default `createFetchTransport()` (the platform's fetch). */
  transport?: FetchTransport;
  /**
   * Called once per request the router answers (proxied, or refused 400/414, or failed
   * upstream) with its access-log entry and the function's id; never for a request that falls
   * through to the function's code. Exceptions it throws are ignored.
   */
  onRequest?: (entry: RuntimeAccessLogEntry) => void;
  /**
   * The platform's WebSocket upgrade (Deno's `Deno.upgradeWebSocket`, Bun's `server.upgrade`),
   * as the fetch handler's option: a routed handshake whose policies pass is handed to it with
   * the target the route builds. Without it a handshake is forwarded as a plain request.
   */
  upgrade?: FetchUpgradeHook;
}

export interface RuntimeRouter {
  /**
   * The proxied `Response` (or an error `Response`), or `null`: run the function's own code.
   * `info.clientAddress` is the client's address as the host's socket saw it (a `Request` does
   * not carry it): appended to X-Forwarded-For. Never rejects.
   */
  handleRequest(functionId: string, request: Request, info?: ClientInfo): Promise<Response | null>;
  /** The same for the platform's invocation shape `{ method, path, headers, query, body }`. */
  handleInvocation(functionId: string, invocation: FunctionInvocation, info?: InvocationInfo): Promise<Response | null>;
  /** The function's compiled router (null: no routes, or an invalid table). */
  getRouter(functionId: string): Promise<Router | null>;
  /** The function's routes changed: the next request loads them again. */
  invalidate(functionId: string): void;
  /** Forget every cached table. */
  clear(): void;
  stats(): RouterCacheStats;
  /** Forgets cached tables and releases upstream connections the router opened itself. */
  close(): Promise<void>;
}

/** Internal: the pieces the Node variant reuses. */
export interface RuntimeCore {
  cache: RouterCache;
  /** Balancer and health state per function (scope = function id), dropped with the function's cache entry. */
  upstreams: UpstreamRegistry;
  pipeline(functionId: string): FetchPipelineOptions;
  logFor(functionId: string): ((entry: AccessLogEntry) => void) | undefined;
  /** The host's WebSocket upgrade hook, if any. */
  upgrade: FetchUpgradeHook | undefined;
}

export function createRuntimeCore(options: RuntimeRouterOptions, upstreams?: UpstreamRegistry): RuntimeCore {
  const transport = options.transport ?? createFetchTransport();
  const registry = upstreams ?? createUpstreamRegistry({ events: options.events, prober: transportProber(transport) });
  const cache = new RouterCache(options, (functionId) => registry.release(functionId));
  const onRequest = options.onRequest;
  const logFor = (functionId: string): ((entry: AccessLogEntry) => void) | undefined => (onRequest ? (entry) => onRequest({ ...entry, functionId }) : undefined);
  const base: FetchPipelineOptions = {
    transport,
    blockPrivateNetworks: options.blockPrivateNetworks !== false,
    exposeTargets: options.exposeTargets === true,
    trustForwardedHeaders: options.trustForwardedHeaders === true,
    allowEncodedSlashes: options.allowEncodedSlashes === true,
    // One policy environment (rate-limit buckets, clock) for every function the runtime serves.
    policyRuntime: createPolicyRuntime(options),
  };
  if (options.timeouts !== undefined) base.timeouts = options.timeouts;
  if (options.events !== undefined) base.events = options.events;
  return {
    cache,
    upstreams: registry,
    logFor,
    upgrade: options.upgrade,
    pipeline: (functionId) => {
      const log = logFor(functionId);
      const p: FetchPipelineOptions = { ...base, upstreams: registry, upstreamScope: functionId };
      if (log) p.onRequest = log;
      return p;
    },
  };
}

async function routerOf(cache: RouterCache, functionId: string): Promise<Router | null> {
  const r = cache.get(functionId);
  return r instanceof Promise ? await r : r;
}

/** The runtime router for fetch-standard hosts (sandboxes, SGX, edge, or Node with a transport). */
export function createRuntimeRouter(options: RuntimeRouterOptions): RuntimeRouter {
  return runtimeRouterFrom(createRuntimeCore(options));
}

/** Internal: the fetch-side methods on a core (the Node variant shares its cache). */
export function runtimeRouterFrom(core: RuntimeCore): RuntimeRouter {
  const { cache } = core;
  return {
    async handleRequest(functionId, request, info) {
      const router = await routerOf(cache, functionId);
      if (router === null) return null;
      return routeFetch(core.pipeline(functionId), router, fromRequest(request, info), true, upgradeFor(core.upgrade, request));
    },
    async handleInvocation(functionId, invocation, info) {
      const router = await routerOf(cache, functionId);
      if (router === null) return null;
      let incoming;
      try {
        incoming = fromInvocation(invocation, info);
      } catch {
        // A body that cannot be serialized (a cycle, a BigInt): the request cannot be forwarded.
        return errorResponse(400, errorBody('invalid-request', ERROR_MESSAGES['invalid-request'], null));
      }
      return routeFetch(core.pipeline(functionId), router, incoming, true);
    },
    getRouter: (functionId) => routerOf(cache, functionId),
    invalidate: (functionId) => cache.invalidate(functionId),
    clear: () => cache.clear(),
    stats: () => cache.stats(),
    async close() {
      // A transport passed in belongs to the caller: it is not closed here.
      cache.clear();
      core.upstreams.close();
    },
  };
}
