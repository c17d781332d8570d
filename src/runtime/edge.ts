/**
 * The proxy and runtime exports that run without Node (sandboxes, SGX enclaves, edge and worker
 * runtimes): nothing reachable from here imports a Node built-in or undici (test/runtime-edge
 * checks the import graph). Meant to be re-exported by the portable entry
 * (`@alternatefutures/routing-core/browser`, src/browser.ts), next to `compile`, whose
 * TypeScript backend serves where the native addon cannot load. Requests go out through the
 * platform's `fetch` (`fetchTransport`).
 */
export { buildProxyRequest, type IncomingRequest, type ProxyRequest, type ProxyRequestOptions } from '../proxy/request.js';
export { HOP_BY_HOP_HEADERS, stripHopByHop, toHeaderRecord, type HeaderRecord, type HeaderValue, type HeadersInput, type HeadersLike } from '../proxy/headers.js';
export { checkAddress, checkTargetHost, classifyAddress, isIpLiteral, OutboundBlockedError, type AddressClass, type AddressVerdict } from '../proxy/policy.js';
export { classifyUpstreamError, errorBody, ERROR_MESSAGES, type ClassifiedError, type ProxyErrorBody, type ProxyErrorCode } from '../proxy/errors.js';
export { DEFAULT_TIMEOUTS, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource, type TimeoutOptions } from '../proxy/types.js';
export {
  createFetchHandler,
  fetchTransport,
  fromRequest,
  requestTargetOf,
  routeFetch,
  type ClientInfo,
  type FetchIncoming,
  type FetchPipelineOptions,
  type FetchBody,
  type FetchHandler,
  type FetchHandlerOptions,
  type FetchTransport,
  type FetchTransportOptions,
  type TransportContext,
} from '../proxy/fetch.js';
export { fromInvocation, serializeQuery, type FunctionInvocation, type InvocationInfo } from '../proxy/invocation.js';
export { RouterCache, type LoadedRoutes, type RouterCacheOptions, type RouterCacheStats } from './cache.js';
export { createRuntimeRouter, type RuntimeAccessLogEntry, type RuntimeRouter, type RuntimeRouterOptions } from './router.js';
