/**
 * The policy step of the request pipeline (SPEC 12, ARCHITECTURE "The spine"), transport-neutral:
 * auth → rateLimit, as stages that answer or pass; the cache lookup (a transport's: undici's
 * interceptor on Node); requestHeaders with the stages' edits; then, on the response,
 * responseHeaders, the stages' response headers (RateLimit) and `Cache-Status`.
 *
 * A route with no policies pays for none: `policyPlan` returns null for it, and the plan of a
 * route with policies (its stage list) is built once per compiled variant and kept in a
 * WeakMap, so a reloaded table's plans go with it.
 */
import type { RouteVariant } from '../table/route.js';
import type { CacheConfig, HeaderRules } from '../table/route.js';
import { apiKeyStage, sha256 } from '../policies/auth/api-key.js';
import { forwardAuthStage } from '../policies/auth/forward.js';
import { jwtStage } from '../policies/auth/jwt.js';
import { clientAddressResolver, type AddressResolver } from '../policies/client-address.js';
import { applyHeaderRules, rulesEmpty } from '../policies/headers/rules.js';
import { MemoryRateLimitStore } from '../policies/rate-limit/memory-store.js';
import { emptyRecord } from '../policies/record.js';
import { rateLimitStage } from '../policies/rate-limit/stage.js';
import type { RateLimitStore } from '../policies/rate-limit/store.js';
import type { PolicyAnswer, PolicyContext, PolicyEnvironment, PolicyStage } from '../policies/types.js';
import type { EventSink } from '../telemetry/events.js';
import type { HeaderRecord } from './headers.js';

/** What a host configures for the policies of every route it serves. */
export interface PolicyHostOptions {
  /**
   * Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges, or "loopback",
   * "linklocal", "uniquelocal"): the client address for rate limits is then the rightmost
   * untrusted entry. Default none: the socket's address.
   */
  trustedProxies?: readonly string[];
  /** Where rate-limit buckets live. Default: an in-process `MemoryRateLimitStore`. */
  rateLimitStore?: RateLimitStore;
  /** The clock of rate limits (ms since the epoch). Default `Date.now`; tests inject one. */
  clock?: () => number;
  /** The `fetch` forward auth uses. Default `globalThis.fetch`. */
  authFetch?: typeof fetch;
  /** Deadline for a forward-auth answer (ms). Default 5,000. */
  authTimeout?: number;
}

/** Internal: what a transport adds to the host's options (the Node proxy's synchronous SHA-256). */
export interface PolicyTransportExtras {
  sha256?: (text: string) => Uint8Array | string | Promise<Uint8Array>;
}

/** The compiled policies of one variant. */
export interface PolicyPlan {
  /** auth, then rateLimit. */
  readonly stages: readonly PolicyStage[];
  readonly requestRules: HeaderRules | null;
  readonly responseRules: HeaderRules | null;
  readonly cache: CacheConfig | null;
  /** True when the cache key holds the caller's identity (a route with `auth`). */
  readonly perCaller: boolean;
}

const plans = new WeakMap<RouteVariant, PolicyPlan | null>();

function buildPlan(variant: RouteVariant): PolicyPlan | null {
  const p = variant.policies;
  const stages: PolicyStage[] = [];
  if (p.auth !== undefined) stages.push(p.auth.type === 'apiKey' ? apiKeyStage(p.auth) : p.auth.type === 'jwt' ? jwtStage(p.auth) : forwardAuthStage(p.auth));
  if (p.rateLimit !== undefined) stages.push(rateLimitStage(p.rateLimit));
  const requestRules = rulesEmpty(p.requestHeaders) ? null : p.requestHeaders!;
  const responseRules = rulesEmpty(p.responseHeaders) ? null : p.responseHeaders!;
  const cache = p.cache ?? null;
  if (stages.length === 0 && requestRules === null && responseRules === null && cache === null) return null;
  return { stages, requestRules, responseRules, cache, perCaller: p.auth !== undefined };
}

/** The plan of a variant, or null when it has no policies. Built once per variant. */
export function policyPlan(variant: RouteVariant): PolicyPlan | null {
  let plan = plans.get(variant);
  if (plan === undefined) {
    plan = buildPlan(variant);
    plans.set(variant, plan);
  }
  return plan;
}

/** One host's policy environment plus its client-address rule. */
export interface PolicyRuntime {
  readonly env: PolicyEnvironment;
  readonly clientAddress: AddressResolver;
}

/** Builds a host's policy runtime. Throws a TypeError for a bad `trustedProxies` entry (start-up, not per request). */
export function createPolicyRuntime(options: PolicyHostOptions & { events?: EventSink }, extras: PolicyTransportExtras = {}): PolicyRuntime {
  const env: PolicyEnvironment = {
    rateLimitStore: options.rateLimitStore ?? new MemoryRateLimitStore(),
    now: options.clock ?? Date.now,
    fetch: options.authFetch ?? ((input, init) => globalThis.fetch(input, init)),
    authTimeout: options.authTimeout ?? 5_000,
    sha256: extras.sha256 ?? sha256,
    ...(options.events !== undefined ? { events: options.events } : {}),
  };
  return { env, clientAddress: clientAddressResolver(options.trustedProxies) };
}

/** What the policy step reads of a request. */
export interface PolicyRequest {
  route: string;
  pattern: string;
  method: string;
  path: string;
  query: string;
  headers: HeaderRecord;
  socketAddress: string | null;
  host: string | null;
  protocol: string;
}

export function policyContext(runtime: PolicyRuntime, request: PolicyRequest): PolicyContext {
  const { route, pattern, method, path, query, headers, socketAddress, host, protocol } = request;
  return newPolicyContext(runtime, route, pattern, method, path, query, headers, socketAddress, host, protocol);
}

/**
 * `policyContext` without the request object: the Node proxy calls this per request
 * (`nodePolicyContext`), where one more object per request shows on the cache hit path.
 */
export function newPolicyContext(
  runtime: PolicyRuntime,
  route: string,
  pattern: string,
  method: string,
  path: string,
  query: string,
  headers: HeaderRecord,
  socketAddress: string | null,
  host: string | null,
  protocol: string,
): PolicyContext {
  return {
    route,
    pattern,
    method,
    path,
    query,
    headers,
    clientAddress: runtime.clientAddress(socketAddress, headers),
    host,
    protocol,
    removeHeaders: [],
    setHeaders: emptyRecord<string>(),
    responseHeaders: emptyRecord<string>(),
  };
}

/**
 * Runs the plan's stages in order: the first answer wins (with the response rules applied to
 * it); undefined means forward. Synchronous while the stages are (the in-process rate limit),
 * a promise once one is not. Never rejects: a stage that throws is a 502.
 */
export function runPolicies(plan: PolicyPlan, ctx: PolicyContext, env: PolicyEnvironment): PolicyAnswer | undefined | Promise<PolicyAnswer | undefined> {
  const stages = plan.stages;
  for (let i = 0; i < stages.length; i++) {
    const result = stages[i]!(ctx, env);
    if (result instanceof Promise) return continueAsync(plan, ctx, env, result, i);
    if (result !== undefined) return finish(plan, ctx, result);
  }
  return undefined;
}

/** An answer with the stages' response headers and the response rules (a refusal is a response of the route too). */
function finish(plan: PolicyPlan, ctx: PolicyContext, answer: PolicyAnswer | undefined): PolicyAnswer | undefined {
  if (answer === undefined) return undefined;
  const headers = answer.headers;
  for (const name in ctx.responseHeaders) if (headers[name] === undefined) headers[name] = ctx.responseHeaders[name]!;
  if (plan.responseRules !== null) applyHeaderRules(headers, plan.responseRules);
  return answer;
}

/** The rest of the stages once one answered with a promise. */
async function continueAsync(
  plan: PolicyPlan,
  ctx: PolicyContext,
  env: PolicyEnvironment,
  first: Promise<PolicyAnswer | undefined>,
  at: number,
): Promise<PolicyAnswer | undefined> {
  const stages = plan.stages;
  let answer = await first;
  for (let i = at + 1; answer === undefined && i < stages.length; i++) answer = await stages[i]!(ctx, env);
  return finish(plan, ctx, answer);
}

/** The upstream request's headers after the stages' edits and `requestHeaders` (in place). */
export function applyRequestPolicies(plan: PolicyPlan, ctx: PolicyContext, headers: HeaderRecord): void {
  for (const name of ctx.removeHeaders) delete headers[name];
  addRequestPolicies(plan, ctx, headers);
}

/** The part of `applyRequestPolicies` after the removals: the stages' set headers, then `requestHeaders` (in place). */
export function addRequestPolicies(plan: PolicyPlan, ctx: PolicyContext, headers: HeaderRecord): void {
  for (const name in ctx.setHeaders) headers[name] = ctx.setHeaders[name]!;
  if (plan.requestRules !== null) applyHeaderRules(headers, plan.requestRules);
}

/** The response's headers after `responseHeaders`, the stages' headers and `Cache-Status` (in place). */
export function applyResponsePolicies(plan: PolicyPlan, ctx: PolicyContext, headers: HeaderRecord, cacheStatus?: string): HeaderRecord {
  if (plan.responseRules !== null) applyHeaderRules(headers, plan.responseRules);
  for (const name in ctx.responseHeaders) headers[name] = ctx.responseHeaders[name]!;
  if (cacheStatus !== undefined) headers['cache-status'] = cacheStatus;
  return headers;
}

/** The cache partition of a request: the route, plus the caller on a route with auth. */
export function cachePartition(plan: PolicyPlan, ctx: PolicyContext): string {
  return plan.perCaller ? `${ctx.route}\n${ctx.identity ?? ''}` : ctx.route;
}
