/**
 * The retry policy of SPEC 11, transport-neutral: what a failed attempt was (`FailureKind`),
 * whether it may be tried again, and the backoff. Defaults: with 2+ targets one retry on
 * `connect-failure` (nothing was sent, so any method); with one target none. A retry for any
 * other trigger needs a method in `methods` and a body that can be sent again (it fit in
 * `bufferLimit`); nothing is retried once a response byte has gone to the client (the
 * transports never ask then).
 */
import type { RetryConfig, RouteVariant } from '../table/route.js';

/** What went wrong with one attempt. A status is a response the trigger list may name. */
export type FailureKind = 'connect-failure' | 'reset' | 'timeout' | number;

export interface RetryPolicy {
  /** Retries after the first attempt (0-5). */
  readonly attempts: number;
  readonly onConnectFailure: boolean;
  readonly onReset: boolean;
  readonly onTimeout: boolean;
  /** Statuses that trigger a retry (`gateway-error` is 502, 503, 504). */
  readonly statuses: ReadonlySet<number>;
  readonly methods: ReadonlySet<string>;
  readonly bufferLimit: number;
  readonly perTryTimeout: number | undefined;
}

const DEFAULT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const NO_STATUSES: ReadonlySet<number> = new Set();
const NONE: RetryPolicy = Object.freeze({
  attempts: 0,
  onConnectFailure: false,
  onReset: false,
  onTimeout: false,
  statuses: NO_STATUSES,
  methods: DEFAULT_METHODS,
  bufferLimit: 64 * 1024,
  perTryTimeout: undefined,
});
const CONNECT_ONCE: RetryPolicy = Object.freeze({ ...NONE, attempts: 1, onConnectFailure: true });

function fromConfig(r: RetryConfig): RetryPolicy {
  const statuses = new Set<number>();
  for (const t of r.on) {
    if (typeof t === 'number') statuses.add(t);
    else if (t === 'gateway-error') [502, 503, 504].forEach((s) => statuses.add(s));
  }
  return {
    attempts: r.attempts,
    onConnectFailure: r.on.includes('connect-failure'),
    onReset: r.on.includes('reset'),
    onTimeout: r.on.includes('timeout'),
    statuses,
    methods: new Set(r.methods),
    bufferLimit: r.bufferLimit,
    perTryTimeout: r.perTryTimeout,
  };
}

const cache = new WeakMap<RouteVariant, RetryPolicy>();

/** The variant's retry policy, defaults applied (computed once per compiled variant). */
export function retryPolicy(variant: RouteVariant): RetryPolicy {
  let p = cache.get(variant);
  if (p === undefined) {
    const r = variant.upstream.retry;
    p = r !== undefined ? fromConfig(r) : variant.targets.length >= 2 ? CONNECT_ONCE : NONE;
    cache.set(variant, p);
  }
  return p;
}

/** Whether a response status is one the policy retries (the attempt's response is then discarded). */
export function retriesStatus(policy: RetryPolicy, status: number): boolean {
  return policy.attempts > 0 && policy.statuses.has(status);
}

/** The reason text of a `retry` event. */
export function failureText(kind: FailureKind): string {
  return typeof kind === 'number' ? `status-${kind}` : kind;
}

/** Whether the kind is a trigger of the policy. */
export function isTrigger(policy: RetryPolicy, kind: FailureKind): boolean {
  if (typeof kind === 'number') return policy.statuses.has(kind);
  if (kind === 'connect-failure') return policy.onConnectFailure;
  if (kind === 'reset') return policy.onReset;
  return policy.onTimeout;
}

/**
 * Whether attempt number `done` (1-based, just failed with `kind`) may be followed by another.
 * `bodySent`: some of the request body left the proxy; `replayable`: the whole body is held
 * (it fit in `bufferLimit`) or there is none.
 */
export function mayRetry(policy: RetryPolicy, kind: FailureKind, method: string, done: number, bodySent: boolean, replayable: boolean): boolean {
  if (done > policy.attempts || !isTrigger(policy, kind)) return false;
  // Nothing reached the upstream: safe for any method, as long as the body can still be sent.
  if (kind === 'connect-failure') return replayable || !bodySent;
  return policy.methods.has(method) && replayable;
}

/** Whether an attempt's body must be held for replay: some trigger beyond `connect-failure` could retry this method. */
export function wantsReplay(policy: RetryPolicy, method: string): boolean {
  return policy.attempts > 0 && policy.methods.has(method) && (policy.onReset || policy.onTimeout || policy.statuses.size > 0);
}

/** The wait before retry number `n` (1-based): full jitter over 25 ms x 2^(n-1), at most 250 ms. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  return random() * Math.min(250, 25 * 2 ** (n - 1));
}

/** Error codes (from undici, Node, fetch) of failures to establish a connection: nothing was sent. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_OUTBOUND_BLOCKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT', 'ERR_ATTEMPT_TIMEOUT', 'name:TimeoutError']);

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth++) {
    const c = cur as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof c.code === 'string') codes.push(c.code);
    if (typeof c.name === 'string') codes.push('name:' + c.name);
    cur = c.cause;
  }
  return codes;
}

/**
 * What a transport error was. Anything not known to be a connection failure or a timeout
 * counts as `reset` (the request may have reached the upstream), the conservative reading.
 */
export function classifyFailure(err: unknown): FailureKind {
  const codes = codesOf(err);
  if (codes.some((c) => CONNECT_CODES.has(c))) return 'connect-failure';
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return 'timeout';
  return 'reset';
}

/** Whether a failure (or a response status) counts against the target's passive health. */
export function countsAsFailure(kind: FailureKind): boolean {
  return typeof kind === 'number' ? kind === 502 || kind === 503 || kind === 504 : true;
}
