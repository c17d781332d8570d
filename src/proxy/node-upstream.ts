/**
 * The upstream step of the Node proxy for routes with several targets, retries or a route
 * `timeout` (SPEC 11): pick a target (../upstream/route-upstream.ts), send, and on a failure
 * before any response byte went to the client, maybe try again (another target preferred,
 * jittered backoff), all under one deadline to response headers. One `NodeResponseRelay`
 * serves every attempt; each attempt's outcome feeds the target's passive health.
 *
 * Request bodies: a body that may be replayed (the method and triggers allow a retry) is read
 * up to `bufferLimit` first; if it ends within it, every attempt sends the held bytes,
 * otherwise the held prefix and the rest stream once and the request is not retried after
 * that. Any other body streams through a wrapper that records whether a byte was pulled, so a
 * connection failure (nothing sent) can still go to another target.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Agent, Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import { AttemptTimeoutError, DeadlineError } from '../upstream/deadline.js';
import { hashKey } from '../upstream/hash-key.js';
import { needsState, type RegistryState } from '../upstream/registry.js';
import { backoffMs, classifyFailure, countsAsFailure, failureText, mayRetry, retriesStatus, retryPolicy, wantsReplay, type FailureKind } from '../upstream/retry.js';
import type { AttemptOutcome } from '../upstream/route-upstream.js';
import type { TargetState } from '../upstream/target-state.js';
import type { LogState } from './node-access-log.js';
import { NodeResponseRelay } from './node-relay.js';
import { forwardCachedAttempts, type LoopCache, type LoopRules } from './node-cached-attempts.js';
import type { ResolvedTimeouts } from './types.js';

export interface NodeUpstreamContext {
  readonly agent: Agent;
  readonly registry: RegistryState;
  readonly timeouts: ResolvedTimeouts;
  readonly events: EventSink | undefined;
  readonly exposeTargets: boolean;
  readonly trustForwardedHeaders: boolean;
}

/** A request body as undici takes it, and what the retry policy needs to know of it. */
interface BodyPlan {
  /** The body for the next attempt. */
  next(): Dispatcher.DispatchOptions['body'];
  /** Every byte is held: the body can be sent again. */
  readonly replayable: boolean;
  /** Some of the body left the proxy (a streamed body was read by an attempt). */
  sent(): boolean;
}

const NO_BODY: BodyPlan = { next: () => null, replayable: true, sent: () => false };

function requestHasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/**
 * An async iterable over the request's own iterator that notes whether a chunk was pulled and
 * never closes the request when undici lets go of it (a later attempt may still need it).
 */
function streamedBody(source: AsyncIterator<Buffer>, prefix: Buffer[] = []): BodyPlan {
  // undici sends any async iterable (core/request.js); its types list only streams.
  let pulled = false;
  const next = (): Dispatcher.DispatchOptions['body'] => {
    const held = [...prefix];
    const iterable: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          pulled = true;
          const chunk = held.shift();
          return chunk !== undefined ? { done: false, value: chunk } : source.next();
        },
        return: async () => ({ done: true, value: undefined }),
      }),
    };
    return iterable as unknown as Dispatcher.DispatchOptions['body'];
  };
  return { next, replayable: false, sent: () => pulled };
}

/** Reads the body up to `limit` bytes: held whole if it ends within, else streamed once. */
async function planBody(req: IncomingMessage, limit: number): Promise<BodyPlan> {
  const source = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > limit) return streamedBody(source);
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await source.next();
    if (r.done) {
      const whole = Buffer.concat(chunks, size);
      return { next: () => whole, replayable: true, sent: () => true };
    }
    chunks.push(r.value);
    size += r.value.length;
    if (size > limit) return streamedBody(source, chunks);
  }
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Forwards a matched request through the attempt loop. `relay` writes the answer; `state` is
 * the access log's (the loop fills in `target` and `attempts`). Never throws.
 */
export function forwardWithAttempts(
  ctx: NodeUpstreamContext,
  req: IncomingMessage,
  res: ServerResponse,
  router: Router,
  scope: string,
  match: RouteMatch,
  query: string,
  state: LogState,
  /** The route's policies (SPEC 12): request rules for every attempt, response rules on the answer, the route cache. */
  rules?: LoopRules,
): void {
  // A cached route: the cache sits above the loop (lookup first, the final answer stored).
  if (rules?.cache !== undefined) return forwardCachedAttempts(forwardWithAttempts, ctx, req, res, router, scope, match, query, state, rules as LoopRules & { cache: LoopCache });
  const variant = match.variant;
  const policy = retryPolicy(variant);
  const up = needsState(variant) ? ctx.registry.route(router, variant, scope) : null;
  const method = req.method ?? 'GET';
  const socket = req.socket as Socket & { encrypted?: boolean };
  const incoming = { method, query, headers: req.rawHeaders, clientAddress: socket.remoteAddress ?? null, protocol: socket.encrypted ? 'https' : 'http' };
  const lb = variant.upstream.loadBalancer;
  const key = lb?.kind === 'hash' ? hashKey(lb.key, { clientAddress: incoming.clientAddress, header: (n) => headerOf(req, n), query, params: match.params }) : undefined;
  const deadlineMs = variant.upstream.timeout ?? ctx.timeouts.headers;
  const idleMs = variant.upstream.idleTimeout ?? ctx.timeouts.bodyIdle;
  const started = performance.now();
  // Targets this request used: built on the first retry (most requests make one attempt).
  let tried: Set<number> | undefined;
  let firstIndex = 0;

  let attempt = 0;
  let current: { target: TargetState | null; settled: boolean; perTry?: ReturnType<typeof setTimeout>; expired?: AttemptTimeoutError } | null = null;
  let headsUp = false; // a response head went to the client: no retry from here on
  let deadlineHit = false;
  let backoff: ReturnType<typeof setTimeout> | undefined;
  let body: BodyPlan = NO_BODY;

  /** Ends the current attempt's accounting once: in-flight count and passive health. */
  const settle = (outcome: AttemptOutcome): void => {
    const c = current;
    if (c === null || c.settled) return;
    c.settled = true;
    clearTimeout(c.perTry);
    if (c.target !== null && up !== null) up.end(c.target, outcome);
  };

  const deadline = setTimeout(() => {
    if (headsUp) return;
    deadlineHit = true;
    clearTimeout(backoff);
    // The attempt cut short by the deadline did not answer in time: a failure for its target.
    settle('failure');
    relay.abandon(new DeadlineError(deadlineMs));
  }, deadlineMs);

  const retryAfter = (kind: FailureKind): boolean => {
    if (deadlineHit || relay.gone || !mayRetry(policy, kind, method, attempt, body.sent(), body.replayable)) return false;
    const failed = current?.target?.url ?? variant.targets[0]!.url;
    emitSafely(ctx.events, { type: 'retry', route: variant.name, target: failed, attempt: attempt + 1, reason: failureText(kind) });
    const wait = backoffMs(attempt);
    backoff = setTimeout(() => {
      if (!deadlineHit && !relay.gone) send();
    }, wait);
    return true;
  };

  const relay = new NodeResponseRelay(res, state, undefined, method, rules?.onHead, rules?.errorHeaders, {
    onHead(status) {
      const kind: FailureKind = status;
      if (retriesStatus(policy, status) && !deadlineHit && mayRetry(policy, kind, method, attempt, body.sent(), body.replayable)) {
        settle(countsAsFailure(kind) ? 'failure' : 'success');
        return 'discard';
      }
      headsUp = true;
      clearTimeout(deadline);
      if (current !== null) clearTimeout(current.perTry);
      // In-flight ends, and health is judged, when the body ends (onDone).
      return 'relay';
    },
    onDiscarded() {
      // A retry was decided at the head; only the deadline (or the client leaving) can have
      // stopped it meanwhile, and the deadline's own abort landed here: answer 504 now.
      if (!retryAfter(state.upstreamStatus ?? 503) && !relay.gone) relay.abandon(new DeadlineError(deadlineMs));
    },
    onFailure(err) {
      const kind = deadlineHit ? 'timeout' : classifyFailure(err);
      if (relay.gone) {
        settle('neutral');
        return false;
      }
      settle('failure');
      const again = !deadlineHit && retryAfter(kind);
      // No retry: the relay answers the error now, so the deadline has nothing left to guard.
      if (!again) clearTimeout(deadline);
      return again;
    },
    onStart(controller) {
      if (current?.expired !== undefined) controller.abort(current.expired);
    },
    onDone(outcome) {
      clearTimeout(deadline);
      clearTimeout(backoff);
      if (outcome === 'client-gone') settle('neutral');
      else if (outcome === 'failed-mid-body') settle('failure');
      else settle(countsAsFailure(state.upstreamStatus ?? 200) ? 'failure' : 'success');
    },
  });

  function send(): void {
    attempt++;
    if (attempt > 1) tried ??= new Set([firstIndex]);
    const i = up !== null ? up.pick(key, tried) : 0;
    if (tried === undefined) firstIndex = i;
    else tried.add(i);
    const target = up !== null ? up.targets[i]!.target : variant.targets[0]!;
    current = { target: up !== null ? up.begin(i) : null, settled: false };
    const request = buildProxyRequest(match, incoming, { trustForwardedHeaders: ctx.trustForwardedHeaders }, target);
    rules?.applyRequest(request.headers);
    state.target = target.url;
    state.attempts = attempt;
    // Metrics and spans: one client observation per attempt (SPEC 13).
    if (state.observation !== null && state.observation !== undefined) state.attempt = state.observation.attempt(request.method, request.origin, request.headers);
    state.upstreamStarted = performance.now();
    relay.setTarget(ctx.exposeTargets ? request.url : undefined);
    const remaining = Math.max(1, deadlineMs - (performance.now() - started));
    const perTry = policy.perTryTimeout;
    if (perTry !== undefined && perTry < remaining) {
      const c = current;
      c.perTry = setTimeout(() => {
        const err = new AttemptTimeoutError(perTry);
        // Still connecting (undici has not handed over a controller): abort as soon as it does.
        if (relay.attempt === null) c.expired = err;
        else relay.attempt.abort(err);
      }, perTry);
    }
    try {
      ctx.agent.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers as Record<string, string | string[]>,
          body: body.next(),
          // The route's deadline runs on its own timer; undici's is a backstop for the same span.
          headersTimeout: Math.ceil(remaining) + 1_000,
          bodyTimeout: idleMs,
        },
        relay,
      );
    } catch (err) {
      relay.onResponseError(undefined, err as Error);
    }
  }

  const hasBody = requestHasBody(req);
  if (!hasBody) {
    send();
    return;
  }
  if (!wantsReplay(policy, method)) {
    body = streamedBody(req[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
    send();
    return;
  }
  planBody(req, policy.bufferLimit).then(
    (plan) => {
      body = plan;
      if (!deadlineHit && !relay.gone) send();
    },
    (err: Error) => {
      // The client's body failed while being read: nothing was sent upstream.
      clearTimeout(deadline);
      if (!relay.gone) relay.onResponseError(undefined, err);
    },
  );
}
