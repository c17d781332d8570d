/** SPEC 11 upstreams: what the proxies, the runtime and other transports (WebSockets) use. */
export { pickTarget, type PickedTarget } from './pick.js';
export { createUpstreamRegistry, needsState, type UpstreamRegistry, type UpstreamRegistryOptions } from './registry.js';
export type { Prober } from './active-health.js';
export type { KeySource } from './hash-key.js';
export type { AttemptOutcome, RouteUpstream } from './route-upstream.js';
export { retryPolicy, mayRetry, backoffMs, classifyFailure, type RetryPolicy, type FailureKind } from './retry.js';
