/**
 * The Node edge of the policy step (../pipeline/policies.ts): writing a stage's answer to a
 * `ServerResponse`, and the response-head hook the relay calls (response rules, RateLimit,
 * `Cache-Status` from the route cache's probe).
 */
import type { ServerResponse } from 'node:http';
import type { ProxyErrorCode } from '../pipeline/errors.js';
import { firstValue, type HeaderRecord } from '../pipeline/headers.js';
import { applyResponsePolicies, type PolicyPlan } from '../pipeline/policies.js';
import { cacheOutcome, type CacheProbe } from '../policies/cache/node-cache.js';
import { cacheEventStatus, cacheStatus } from '../policies/cache/status.js';
import type { PolicyAnswer, PolicyContext } from '../policies/types.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import type { LogState } from './node-access-log.js';

/** Writes a refusal or relayed answer (no body for HEAD). */
export function sendPolicyAnswer(res: ServerResponse, answer: PolicyAnswer, method: string, state: LogState): void {
  if (answer.code !== undefined) state.error = answer.code as ProxyErrorCode;
  if (res.headersSent || res.destroyed) return;
  const body =
    answer.body === null ? null : typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
  const headers: HeaderRecord = { ...answer.headers };
  if (body !== null) headers['content-length'] = String(body.byteLength);
  res.writeHead(answer.status, headers);
  res.end(method === 'HEAD' || body === null ? undefined : body);
}

/** The relay's head hook for a request with policies. */
export function responseHook(plan: PolicyPlan, ctx: PolicyContext, events: EventSink | undefined, probe: () => CacheProbe | null): (headers: HeaderRecord) => HeaderRecord {
  return (headers) => {
    let status: string | undefined;
    if (plan.cache !== null) {
      const outcome = cacheOutcome(plan.cache, ctx.method, firstValue(ctx.headers['cache-control']), probe());
      status = cacheStatus(outcome);
      emitSafely(events, { type: 'cache', route: ctx.route, status: cacheEventStatus(outcome) });
    }
    return applyResponsePolicies(plan, ctx, headers, status);
  };
}
