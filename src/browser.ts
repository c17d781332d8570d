/**
 * The portable entry, `@alternatefutures/routing-core/browser`: everything that runs without
 * Node.js (browsers, edge and worker runtimes, SGX enclaves, sandboxes). It imports no Node
 * built-in and no undici, directly or through the modules it uses (test/runtime-edge checks
 * the import graph; test/browser-*.test.ts runs it in Chromium). Where no native addon can
 * load, `compile` uses the TypeScript backend (`router.backend === 'js'`). The main entry
 * (./index.ts) re-exports all of it and adds what needs Node.
 *
 * The list is deliberate (docs/api.md, grouped by who needs what; test/api-exports.test.ts
 * pins it): an addition is a decision.
 */

// The route table as written, compiled, and matched (everyone).
export { compile } from './match/router.js';
export { validateRoutes, assertValidRoutes, type ValidationResult } from './validate/validate.js';
export { RoutesValidationError, type IssueCode, type RouteIssue } from './validate/issues.js';
export type { DurationInput, HeaderRulesInput, RouteObject, Routes, RouteValue, SizeInput, ValueCondition } from './table/input.js';
export { DEFAULT_LIMITS } from './options.js';
export type { BackendChoice, CompileOptions, Limits, MatchOptions, ResolvedMatchOptions } from './options.js';
export type { HeadersLike, MatchRequest, RouteMatch, Router } from './match/types.js';
export { explain, type Candidate, type Explanation, type ExplainOptions, type VariantVerdict } from './match/explain.js';
export type { FailedCondition } from './match/conditions.js';
export { routesInPrecedenceOrder, type SegmentKind } from './match/precedence.js';
export { routesJsonSchema, createRoutesJsonSchema, type JsonSchema } from './schema/routes.js';

// What a compiled table holds (backend authors implement `Router` over it; policies read it).
export type {
  AuthConfig,
  CacheConfig,
  CompiledRoute,
  CompiledTarget,
  Duration,
  FieldCondition,
  HeaderRules,
  HealthCheckConfig,
  HostMatcher,
  LinearRegex,
  LoadBalancer,
  PolicyConfig,
  RateLimitConfig,
  RetryConfig,
  RouteVariant,
  Size,
  UpstreamConfig,
  ValueMatcher,
} from './table/route.js';
export type { TargetPart, TargetTemplate } from './target/template.js';

// Paths and targets (gateway and backend authors).
export { normalizePath, type NormalizeOptions, type NormalizeResult, type NormalizedPath, type PathError, type PathErrorCode } from './normalize/path.js';
export { buildForwardUrl } from './target/url.js';

// The fetch-standard gateway: a handler, its transports, the outbound policy, errors, the access log.
export { createFetchHandler, type FetchHandler, type FetchHandlerOptions, type FetchUpgradeHook, type FetchUpgradeTarget } from './proxy/fetch-handler.js';
export { createFetchTransport, type FetchTransportOptions } from './proxy/fetch-transport.js';
export type { ClientInfo, FetchBody, FetchTransport } from './proxy/fetch-types.js';
export type { ProxyRequest } from './pipeline/upstream-request.js';
export type { HeaderRecord, HeaderValue } from './pipeline/headers.js';
export type { ProxyErrorBody, ProxyErrorCode } from './pipeline/errors.js';
export { checkAddress, OutboundBlockedError, type AddressClass, type AddressVerdict } from './proxy/policy.js';
export { DEFAULT_TIMEOUTS, type AccessLogEntry, type ProxyCommonOptions, type ResolvedTimeouts, type RouterSource, type TimeoutOptions } from './proxy/types.js';

// The functions runtime, fetch-standard (sandboxes, SGX, edge).
export { createRuntimeRouter, type RuntimeAccessLogEntry, type RuntimeRouter, type RuntimeRouterOptions } from './runtime/router.js';
export type { LoadedRoutes, RouterCacheOptions, RouterCacheStats } from './runtime/cache.js';
export type { FunctionInvocation, InvocationInfo } from './proxy/invocation.js';

// Framework adapters that run anywhere.
export { createHonoMiddleware, type HonoContextLike, type HonoMiddleware, type HonoMiddlewareOptions } from './adapters/hono.js';
export type { AdapterRoutesOptions } from './adapters/router-source.js';

// Routing events (retries, ejections, refusals, cache results): the hook metrics and logs read.
export type { EventSink, RoutingEvent } from './telemetry/events.js';
// SPEC 11: the upstream state a proxy owns (share one between a Node proxy and a fetch handler).
export { createUpstreamRegistry, type UpstreamRegistry, type UpstreamRegistryOptions, type Prober } from './upstream/registry.js';

// Per-route policies (SPEC 12): the host's options, and the rate-limit store contract with its in-memory store.
export type { PolicyHostOptions } from './pipeline/policies.js';
export { createMemoryRateLimitStore, type MemoryRateLimitStoreHandle, type MemoryRateLimitStoreOptions } from './policies/rate-limit/memory-store.js';
export type { BucketSpec, RateLimitStore, TakeResult } from './policies/rate-limit/store.js';

// Metrics and spans (SPEC 13): the observer a fetch handler may be given (its implementation
// is the main entry's `createProxyObserver()`: it needs @opentelemetry/api, which this entry does not load).
export type { AttemptObservation, ProxyObserver, RequestObservation } from './telemetry/observer.js';
export type { AttemptRecord, RequestRecord, RouteMetrics } from './telemetry/metrics.js';
export type { HeaderGetter } from './telemetry/trace.js';
