/**
 * The proxy's transports (SPEC section 8): how a request is read and how a response is written
 * on Node (`IncomingMessage`/`ServerResponse`, undici) and with fetch (`Request`/`Response`),
 * around the transport-neutral pipeline in ../pipeline/. This barrel is what the rest of the
 * package (the CLI's gateway, the runtime, the adapters, the public entries) imports; it never
 * re-exports the runtime.
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { createNodeProxy, type NodeProxy, type NodeProxyOptions } from './node-proxy.js';
export { closeAgent, createUpstreamAgent, type UpstreamOptions } from './upstream-agent.js';
export { createUndiciTransport, type UndiciTransport, type UndiciTransportOptions } from './undici-transport.js';
export { createFetchHandler, type FetchHandler, type FetchHandlerOptions, type FetchUpgradeHook, type FetchUpgradeTarget } from './fetch-handler.js';
export { createFetchTransport, type FetchTransportOptions } from './fetch-transport.js';
export type { ClientInfo, FetchBody, FetchTransport } from './fetch-types.js';
export { checkAddress, checkTargetHost, classifyAddress, isIpLiteral, OutboundBlockedError, type AddressClass, type AddressVerdict } from './policy.js';
export { DEFAULT_TIMEOUTS, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource, type TimeoutOptions } from './types.js';
