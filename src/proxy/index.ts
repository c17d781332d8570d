/**
 * The proxy (SPEC section 8): the request builder, the outbound policy, error responses, the
 * fetch-standard handler (all Node-free, see ../runtime/edge.ts) and the Node streaming proxy
 * and gateway.
 */
// The Node-free part (request builder, policy, errors, fetch handler) is listed once, in runtime/edge.ts.
export * from '../runtime/edge.js';
export {
  ClientClosedError,
  closeAgent,
  createGateway,
  createNodeProxy,
  createUndiciTransport,
  createUpstreamAgent,
  policyConnector,
  policyLookup,
  sendNodeError,
  type Gateway,
  type GatewayOptions,
  type NodeProxy,
  type NodeProxyOptions,
  type UndiciTransport,
  type UndiciTransportOptions,
  type UpstreamOptions,
} from './node.js';
