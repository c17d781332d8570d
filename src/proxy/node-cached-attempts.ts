/**
 * The route cache above the Node proxy's attempt loop (SPEC 11 + 12): a route with `cache` and
 * several targets or retries looks the request up once before the loop (a hit reaches no
 * target), makes every attempt conditional when a stale entry is revalidated, and stores only
 * the answer the loop relays (never a discarded attempt's, such as a retried 503). undici's
 * interceptor cannot sit there (it wraps one exchange), so this uses the portable decisions and
 * store the fetch side uses (../policies/cache/route-cache.ts).
 *
 * It sees each attempt through a handler placed between undici and the loop's relay, and the
 * relayed head through the relay's head hook: a head that reaches the hook is the final answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { RouteMatch, Router } from '../match/types.js';
import { endToEndHeaders, type HeaderRecord } from '../pipeline/headers.js';
import { applyResponsePolicies, cachePartition, type PolicyPlan } from '../pipeline/policies.js';
import { buildProxyRequest } from '../pipeline/upstream-request.js';
import type { MemoryRouteStore } from '../policies/cache/memory-store.js';
import { cacheKey, completeCache, lookupCache, outcomeOf, type BodyCollector, type CacheRequest, type Completion, type Lookup } from '../policies/cache/route-cache.js';
import { cacheEventStatus, cacheStatus } from '../policies/cache/status.js';
import type { PolicyContext } from '../policies/types.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import type { LogState } from './node-access-log.js';
import { NodeResponseRelay } from './node-relay.js';
import type { forwardWithAttempts, NodeUpstreamContext } from './node-upstream.js';

/** What the proxy hands the attempt loop for a cached route. */
export interface LoopCache {
  readonly plan: PolicyPlan;
  readonly ctx: PolicyContext;
  /** The proxy's store for routes whose cache sits above the attempt loop. */
  readonly store: MemoryRouteStore;
  readonly events: EventSink | undefined;
}

/** The loop's per-request rules (node-upstream.ts `forwardWithAttempts`). */
export interface LoopRules {
  onHead: (headers: HeaderRecord) => HeaderRecord;
  errorHeaders: Readonly<Record<string, string>> | undefined;
  applyRequest: (headers: HeaderRecord) => void;
  cache?: LoopCache;
}

/** The attempt loop this cache sits above (a type-only reference: node-upstream.ts imports this module). */
type Forward = typeof forwardWithAttempts;

/** undici's handler header shape (types/header.d.ts). */
type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

/** One attempt's response as the cache saw it arrive. */
interface Arrived {
  status: number;
  statusText: string;
  headers: HeaderRecord;
  /** Set by the head hook when this response is the one relayed. */
  collector: BodyCollector | null;
}

/** Runs `forward` (the attempt loop) with the route cache above it. */
export function forwardCachedAttempts(
  forward: Forward,
  ctx: NodeUpstreamContext,
  req: IncomingMessage,
  res: ServerResponse,
  router: Router,
  scope: string,
  match: RouteMatch,
  query: string,
  state: LogState,
  rules: LoopRules & { cache: LoopCache },
): void {
  const { plan, ctx: policy, store, events } = rules.cache;
  const method = req.method ?? 'GET';
  const socket = req.socket as Socket & { encrypted?: boolean };
  // The request as it goes upstream (to the first target; Vary and Authorization are judged on it).
  const sample = buildProxyRequest(
    match,
    { method, query, headers: req.rawHeaders, clientAddress: socket.remoteAddress ?? null, protocol: socket.encrypted ? 'https' : 'http' },
    { trustForwardedHeaders: ctx.trustForwardedHeaders },
  );
  rules.applyRequest(sample.headers);
  const creq: CacheRequest = { store, config: plan.cache!, key: cacheKey(scope, cachePartition(plan, policy), `${policy.path}?${query}`), method, headers: sample.headers };
  const lookup: Lookup = lookupCache(creq, Date.now());
  let completion: Completion | undefined;

  const withStatus = (headers: HeaderRecord): HeaderRecord => {
    const outcome = outcomeOf(lookup, completion);
    emitSafely(events, { type: 'cache', route: policy.route, status: cacheEventStatus(outcome) });
    return applyResponsePolicies(plan, policy, headers, cacheStatus(outcome));
  };

  if (lookup.kind === 'hit') {
    // Nothing reaches a target: the stored answer, with the route's response rules.
    const relay = new NodeResponseRelay(res, state, undefined, method, withStatus, policy.responseHeaders);
    relay.serveStored({ statusCode: lookup.entry.statusCode, statusMessage: lookup.entry.statusMessage, headers: lookup.headers, body: lookup.entry.body as readonly Buffer[] });
    return;
  }

  const conditional = lookup.kind === 'forward' ? lookup.conditional : undefined;
  let current: Arrived | null = null;

  const onHead = (headers: HeaderRecord): HeaderRecord => {
    // Only the relayed head gets here: this attempt's answer is the final one.
    const a = current;
    if (a !== null && completion === undefined) {
      completion = completeCache(creq, lookup, a.status, a.statusText, a.headers, Date.now());
      if (completion.kind === 'store') a.collector = completion.collector;
    }
    return withStatus(headers);
  };

  /** Sits between undici and the relay for one attempt: sees what arrives, swaps a usable 304 for the stored answer. */
  class Tap implements Dispatcher.DispatchHandler {
    private arrived: Arrived | null = null;
    private swallow = false;

    constructor(
      private readonly relay: Dispatcher.DispatchHandler,
      private readonly opts: Dispatcher.DispatchOptions,
      private readonly revalidating: boolean,
    ) {}

    onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
      this.relay.onRequestStart?.(controller, context);
    }

    onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
      this.relay.onRequestUpgrade?.(controller, statusCode, headers, socket);
    }

    onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
      if (statusCode < 200) return this.relay.onResponseStart?.(controller, statusCode, headers, statusMessage);
      if (statusCode === 304 && this.revalidating && lookup.kind === 'forward' && lookup.entry !== undefined) {
        // Our revalidation's answer (a 304 is never retried): the stored entry, or a refetch without our conditions.
        const c = completeCache(creq, lookup, statusCode, statusMessage ?? '', endToEndHeaders(headers as HeaderRecord), Date.now());
        this.swallow = true;
        if (c.kind === 'refetch') return;
        completion = c;
        if (c.kind !== 'serve-stored') return;
        current = null;
        this.relay.onResponseStart?.(controller, c.entry.statusCode, c.headers as IncomingHttpHeaders, c.entry.statusMessage);
        if (method !== 'HEAD') for (const chunk of c.entry.body) this.relay.onResponseData?.(controller, chunk as Buffer);
        return;
      }
      // The head as received: the storage decision reads it as undici's CacheHandler does (a
      // field `Connection` names still counts for the decision) and strips what it must itself.
      this.arrived = current = { status: statusCode, statusText: statusMessage ?? '', headers: headers as HeaderRecord, collector: null };
      this.relay.onResponseStart?.(controller, statusCode, headers, statusMessage);
    }

    onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
      if (this.swallow) return;
      this.arrived?.collector?.push(chunk);
      this.relay.onResponseData?.(controller, chunk);
    }

    onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
      if (this.swallow && completion === undefined) {
        // The 304 could not be used: ask again, unconditionally, through the same relay.
        const headers = { ...(this.opts.headers as Record<string, string>) };
        for (const name in conditional) delete headers[name];
        tapped.dispatch({ ...this.opts, headers }, this.relay, false);
        return;
      }
      this.arrived?.collector?.end();
      this.relay.onResponseEnd?.(controller, trailers);
    }

    onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
      this.arrived?.collector?.abort();
      this.relay.onResponseError?.(controller, err);
    }
  }

  const tapped = {
    dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, revalidating = conditional !== undefined): boolean {
      return ctx.agent.dispatch(opts, new Tap(handler, opts, revalidating));
    },
  };

  // The loop dispatches through `tapped`; it uses nothing of the Agent but `dispatch`.
  const loopCtx: NodeUpstreamContext = { ...ctx, agent: tapped as unknown as Agent };
  forward(loopCtx, req, res, router, scope, match, query, state, {
    onHead,
    // An upstream failure still says what the cache did (RFC 9211).
    errorHeaders: { ...rules.errorHeaders, 'cache-status': cacheStatus(outcomeOf(lookup)) },
    applyRequest: (headers) => {
      rules.applyRequest(headers);
      if (conditional !== undefined) Object.assign(headers, conditional);
    },
  });
}
