/**
 * The upstream step of the fetch-standard proxy for routes with several targets, retries or a
 * route `timeout` (SPEC 11), within what a fetch runtime can know: targets are balanced and
 * their health tracked; a failure before the response (a rejected `fetch`, or a status the
 * policy retries) may be retried on another target after a jittered backoff, with a body that
 * is held (it fit in `bufferLimit`) or was never read; the deadline to response headers and
 * `perTryTimeout` abort through `AbortSignal`. What it cannot do is in docs/runtime.md
 * ("Upstreams on a fetch runtime"): a platform `fetch` names no error, so every failure that
 * is not known to be a connection failure counts as a `reset`; an attempt is counted in flight
 * and judged for health up to its response head, not to the end of its body. Pure: no Node
 * built-ins.
 */
import type { RouteMatch, Router } from '../match/types.js';
import { readConditionHeader, type ConditionHeaders } from '../pipeline/headers.js';
import type { HeaderRecord } from '../pipeline/headers.js';
import { buildProxyRequest, type IncomingRequest } from '../pipeline/upstream-request.js';
import type { CompiledTarget } from '../table/route.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import { AttemptTimeoutError, DeadlineError } from '../upstream/deadline.js';
import { hashKey } from '../upstream/hash-key.js';
import { needsState, type RegistryState } from '../upstream/registry.js';
import { backoffMs, classifyFailure, countsAsFailure, failureText, mayRetry, retriesStatus, retryPolicy, wantsReplay, type FailureKind } from '../upstream/retry.js';
import type { FetchBody, FetchTransport } from './fetch-types.js';
import { checkTargetHost } from './policy.js';
import type { ResolvedTimeouts } from './types.js';

export interface FetchUpstreamContext {
  readonly transport: FetchTransport;
  /** The route's request header rules (SPEC 12), applied to every attempt's request. */
  readonly prepare?: (headers: HeaderRecord) => void;
  readonly registry: RegistryState;
  readonly scope: string;
  readonly timeouts: ResolvedTimeouts;
  readonly events: EventSink | undefined;
  readonly blockPrivateNetworks: boolean;
  readonly trustForwardedHeaders: boolean;
}

/** The result of the loop: a response, or the last error; and what the access log reports. */
export type FetchForwardResult =
  | { readonly ok: true; readonly response: Response; readonly target: string; readonly attempts: number; readonly url: string }
  | { readonly ok: false; readonly error: unknown; readonly clientGone: boolean; readonly target: string; readonly attempts: number; readonly url: string };

class BlockedError extends Error {
  readonly code = 'ERR_OUTBOUND_BLOCKED';
}

interface BodyPlan {
  next(): FetchBody;
  readonly replayable: boolean;
  sent(): boolean;
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? new TextEncoder().encode(body).byteLength : body.byteLength;
}

/** A stream over `reader` (after `prefix`) that notes whether it was read; highWaterMark 0, so nothing is pulled before the transport asks. */
function streamed(reader: ReadableStreamDefaultReader<Uint8Array>, prefix: Uint8Array[] = []): BodyPlan {
  let pulled = false;
  return {
    replayable: false,
    sent: () => pulled,
    next: () => {
      const held = [...prefix];
      return new ReadableStream<Uint8Array>(
        {
          async pull(c) {
            pulled = true;
            const h = held.shift();
            if (h !== undefined) return c.enqueue(h);
            const r = await reader.read();
            if (r.done) c.close();
            else c.enqueue(r.value);
          },
        },
        { highWaterMark: 0 },
      );
    },
  };
}

async function planBody(body: FetchBody, replay: boolean, limit: number): Promise<BodyPlan> {
  if (body === null || body === undefined) return { next: () => null, replayable: true, sent: () => false };
  if (typeof body === 'string' || body instanceof Uint8Array) {
    let used = false;
    const fits = byteLength(body) <= limit;
    return { next: () => ((used = true), body), replayable: fits, sent: () => used };
  }
  const reader = body.getReader();
  if (!replay) return streamed(reader);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) {
      const whole = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        whole.set(c, at);
        at += c.byteLength;
      }
      return { next: () => whole, replayable: true, sent: () => true };
    }
    chunks.push(r.value);
    size += r.value.byteLength;
    if (size > limit) return streamed(reader, chunks);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Sends a matched request through the attempt loop. Never rejects. */
export async function forwardFetchWithAttempts(
  ctx: FetchUpstreamContext,
  router: Router,
  match: RouteMatch,
  incoming: IncomingRequest<FetchBody>,
  conditionHeaders: ConditionHeaders,
  clientSignal: AbortSignal,
): Promise<FetchForwardResult> {
  const variant = match.variant;
  const policy = retryPolicy(variant);
  const up = needsState(variant) ? ctx.registry.route(router, variant, ctx.scope) : null;
  const method = incoming.method;
  const lb = variant.upstream.loadBalancer;
  const key =
    lb?.kind === 'hash'
      ? hashKey(lb.key, {
          clientAddress: incoming.clientAddress ?? null,
          header: (n) => readConditionHeader(conditionHeaders, n),
          query: incoming.query ?? '',
          params: match.params,
        })
      : undefined;
  const deadlineMs = variant.upstream.timeout ?? ctx.timeouts.headers;
  const timeouts: ResolvedTimeouts = { ...ctx.timeouts, bodyIdle: variant.upstream.idleTimeout ?? ctx.timeouts.bodyIdle };
  const started = Date.now();
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(new DeadlineError(deadlineMs)), deadlineMs);
  const tried = new Set<number>();
  let target: CompiledTarget = variant.targets[0]!;
  let url = target.url;
  let attempt = 0;
  let body: BodyPlan;
  try {
    body = await planBody(incoming.body ?? null, wantsReplay(policy, method), policy.bufferLimit);
  } catch (error) {
    clearTimeout(deadlineTimer);
    return { ok: false, error, clientGone: clientSignal.aborted, target: target.url, attempts: 0, url };
  }
  const fail = (error: unknown, clientGone = false): FetchForwardResult => {
    clearTimeout(deadlineTimer);
    return { ok: false, error, clientGone, target: target.url, attempts: attempt, url };
  };

  for (;;) {
    attempt++;
    const i = up !== null ? up.pick(key, tried) : 0;
    tried.add(i);
    target = up !== null ? up.targets[i]!.target : variant.targets[0]!;
    const state = up !== null ? up.begin(i) : null;
    const request = buildProxyRequest<FetchBody>(match, { ...incoming, body: body.next() }, { trustForwardedHeaders: ctx.trustForwardedHeaders }, target);
    ctx.prepare?.(request.headers);
    url = request.url;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(clientSignal.aborted ? clientSignal.reason : deadline.signal.reason);
    clientSignal.addEventListener('abort', onAbort, { once: true });
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    const remaining = Math.max(1, deadlineMs - (Date.now() - started));
    const perTry = policy.perTryTimeout !== undefined && policy.perTryTimeout < remaining ? policy.perTryTimeout : undefined;
    const perTryTimer = perTry !== undefined ? setTimeout(() => controller.abort(new AttemptTimeoutError(perTry)), perTry) : undefined;
    if (clientSignal.aborted || deadline.signal.aborted) onAbort();
    let kind: FailureKind;
    let error: unknown;
    let response: Response | null = null;
    try {
      if (ctx.blockPrivateNetworks && checkTargetHost(request.origin)) throw new BlockedError('The outbound policy refuses this target');
      response = await ctx.transport(request, { signal: controller.signal, timeouts: { ...timeouts, headers: remaining } });
    } catch (err) {
      // A transport may reject with its own error when aborted: the reason we aborted with says more.
      error = controller.signal.aborted && controller.signal.reason instanceof AttemptTimeoutError ? controller.signal.reason : err;
    } finally {
      clearTimeout(perTryTimer);
      clientSignal.removeEventListener('abort', onAbort);
      deadline.signal.removeEventListener('abort', onAbort);
    }
    if (clientSignal.aborted) {
      if (state !== null) up!.end(state, 'neutral');
      void response?.body?.cancel().catch(() => {});
      return fail(error ?? clientSignal.reason, true);
    }
    if (deadline.signal.aborted) {
      if (state !== null) up!.end(state, 'failure');
      void response?.body?.cancel().catch(() => {});
      return fail(deadline.signal.reason);
    }
    if (response !== null) {
      const status = response.status;
      if (state !== null) up!.end(state, countsAsFailure(status) ? 'failure' : 'success');
      if (!(retriesStatus(policy, status) && mayRetry(policy, status, method, attempt, body.sent(), body.replayable))) {
        clearTimeout(deadlineTimer);
        return { ok: true, response, target: target.url, attempts: attempt, url };
      }
      void response.body?.cancel().catch(() => {});
      kind = status;
      error = undefined;
    } else {
      kind = error instanceof AttemptTimeoutError ? 'timeout' : classifyFailure(error);
      if (state !== null) up!.end(state, 'failure');
      if (!mayRetry(policy, kind, method, attempt, body.sent(), body.replayable)) return fail(error);
    }
    emitSafely(ctx.events, { type: 'retry', route: variant.name, target: target.url, attempt: attempt + 1, reason: failureText(kind) });
    await wait(backoffMs(attempt), AbortSignal.any ? AbortSignal.any([deadline.signal, clientSignal]) : deadline.signal);
    if (clientSignal.aborted) return fail(clientSignal.reason, true);
    if (deadline.signal.aborted) return fail(deadline.signal.reason);
  }
}
