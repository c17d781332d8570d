/**
 * The Node edge of the policy step (../pipeline/policies.ts): writing a stage's answer to a
 * `ServerResponse`, the route cache's hit fast path, and the response-head hook the relay calls
 * (response rules, RateLimit, `Cache-Status` from the route cache's probe).
 */
import { hash as oneShotHash, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Socket } from 'node:net';
import type { RouteMatch } from '../match/types.js';
import type { ProxyErrorCode } from '../pipeline/errors.js';
import { endToEndHeaders, firstValue, isHopByHop, toHeaderRecord, type HeaderRecord, type HeaderValue } from '../pipeline/headers.js';
import { addRequestPolicies, applyResponsePolicies, cachePartition, type PolicyPlan, type PolicyRuntime } from '../pipeline/policies.js';
import { emptyRecord } from '../policies/record.js';
import type { StoredEntry } from '../policies/cache/bounded-store.js';
import { ageOf, cacheOutcome, NodeRouteCache, type CacheProbe, type NodeCacheContext } from '../policies/cache/node-cache.js';
import { cacheEventStatus, cacheStatus } from '../policies/cache/status.js';
import type { PolicyAnswer, PolicyContext } from '../policies/types.js';
import type { TargetTemplate } from '../target/template.js';
import { buildForwardUrl } from '../target/url.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import type { LogState } from './node-access-log.js';
import { NodeResponseRelay } from './node-relay.js';
import { safeReason } from './reason-phrase.js';

/**
 * SHA-256 for API keys on Node: `crypto.hash` (one call, no Hash object; Node 20.12+) where
 * the runtime has it, else `createHash`. Both synchronous: no promise per request. The digest
 * is a 'binary' (latin1) string, one char per byte, compared as it is (`findBinaryDigest`):
 * `crypto.hash`'s 'buffer' output costs about a microsecond more per call than a string (Node
 * 20 and 22), and copying the string into a fresh 32-byte array was one more object per request.
 */
export const nodeSha256: (text: string) => Uint8Array | string =
  typeof oneShotHash === 'function' ? (text) => oneShotHash('sha256', text, 'binary') : (text) => createHash('sha256').update(text).digest();

/**
 * `toHeaderRecord(req.rawHeaders)` without lower-casing and interning every name again: Node
 * already did both for `req.headers`, which the routing step reads (so it is built anyway).
 * Taken only when `req.headers` holds the raw headers one for one, in their order: the k-th
 * name has the k-th raw name's length and the k-th value is the k-th raw value, and there are
 * as many names as raw pairs. Node joins or drops repeated headers, keeps no `__proto__`, makes
 * a lone `Set-Cookie` an array and orders integer-like names first, and code before the
 * gateway may have edited `req.headers`: each of those fails a check, and the raw headers are
 * read as before. The record is the same either way (test/policies-node-headers.test.ts).
 */
export function nodeHeaderRecord(req: IncomingMessage): HeaderRecord {
  const raw = req.rawHeaders;
  if (req.httpVersionMajor === 1) {
    const parsed = req.headers as Record<string, string | string[] | undefined>;
    // A fast-mode record (`emptyRecord`): the same names in the same order every request share
    // hidden classes, so each store is a cached transition and each read a stub-cache hit, where
    // an `Object.create(null)` record is a dictionary (a hash insert per header, a rehash as it grows).
    const out = emptyRecord<HeaderValue>();
    let i = 0;
    let same = true;
    for (const name in parsed) {
      const value = parsed[name];
      if (i >= raw.length || value !== raw[i + 1] || name.length !== raw[i]!.length || !Object.hasOwn(parsed, name)) {
        same = false;
        break;
      }
      out[name] = raw[i + 1]!;
      i += 2;
    }
    if (same && i === raw.length) return out;
  }
  return toHeaderRecord(raw);
}

/**
 * The policy context of a Node request (HTTP or an upgrade): who asks, from where, for what.
 * `newPolicyContext`'s object, built here with every field a Node request may set later
 * present from the start (`identity`, `claims`, the cache's `emptyCache*`), so a request's
 * context keeps one shape (adding them later moved each context through three or four hidden
 * classes and grew its property store), plus the HTTP/1 connection (`PolicyContext.connection`).
 */
export function nodePolicyContext(runtime: PolicyRuntime, req: IncomingMessage, match: RouteMatch, path: string, query: string): NodePolicyContext {
  const socket = req.socket as Socket & { encrypted?: boolean };
  const headers = nodeHeaderRecord(req);
  const socketAddress = socket.remoteAddress ?? null;
  const ctx: NodePolicyContext = {
    route: match.variant.name,
    pattern: match.pattern,
    method: req.method ?? 'GET',
    path,
    query,
    headers,
    clientAddress: runtime.clientAddress(socketAddress, headers),
    host: req.headers.host ?? null,
    protocol: socket.encrypted ? 'https' : 'http',
    removeHeaders: [],
    setHeaders: emptyRecord<string>(),
    responseHeaders: emptyRecord<string>(),
    identity: undefined,
    claims: undefined,
    // HTTP/2's request socket is a per-stream proxy object: no per-connection memory there.
    connection: req.httpVersionMajor === 1 ? socket : undefined,
    emptyCacheKey: undefined,
    emptyCacheOrigin: undefined,
    emptyCacheQuery: undefined,
    socketAddress,
  };
  return ctx;
}

/** The policy context of a Node request: the route cache's fields, and the socket's address (read once). */
export interface NodePolicyContext extends PolicyContext, Omit<NodeCacheContext, 'query'> {
  /**
   * The socket's peer address, for the upstream request's `X-Forwarded-For` too: read once per
   * request (`socket.remoteAddress` is a getter through `_getpeername`, ~0.5k instructions per
   * read on a busy server's megamorphic socket shapes, session 28).
   */
  readonly socketAddress: string | null;
}

/**
 * `applyRequestPolicies` on the Node proxy's upstream request record, returning the record to
 * send. A stage that removes a header (the API key, client copies of JWT claims) gets a copy
 * without it, in the same order, rather than a `delete`: deleting any but the last-added
 * property turns V8's fast-mode record into a dictionary (every later store a hash insert,
 * undici's `Object.keys` a dictionary walk and key sort), which cost an apiKey route ~3k
 * instructions per request (notes-policies.md, session 27). The copy then only gets the additions.
 */
export function nodeRequestHeaders(plan: PolicyPlan, ctx: PolicyContext, headers: HeaderRecord, removed = false): HeaderRecord {
  const out = !removed && removesAny(ctx.removeHeaders, headers) ? copyWithout(headers, ctx.removeHeaders) : headers;
  addRequestPolicies(plan, ctx, out);
  return out;
}

/**
 * Node's `rawHeaders` without the names the stages removed (`ctx.removeHeaders`: the API key,
 * client copies of JWT claim headers), for `buildProxyRequest`: the upstream record is then
 * built without them, where removing them afterwards cost a copy of the record (a megamorphic
 * keyed store per header) and the record had first got the key (a megamorphic load and store):
 * ~2.5k instructions per apiKey request (notes-policies.md, session 28). `raw` itself when none
 * of them is there (no copy). Null, and the caller removes afterwards (`nodeRequestHeaders`),
 * when a removed name is one `buildProxyRequest` reads or sets (`Host`, `Cookie`,
 * `X-Forwarded-*`, a hop-by-hop or `:` name): only for the others is removing before the same
 * as removing after (test/policies-request-headers-copy.test.ts holds the two equal).
 */
export function rawWithout(raw: readonly string[], remove: readonly string[]): readonly string[] | null {
  for (let j = 0; j < remove.length; j++) {
    const r = remove[j]!;
    // A stage pushes its configured name, the same string every request: checked once.
    if (r === lastSafe) continue;
    if (shapesUpstreamRequest(r)) return null;
    lastSafe = r;
  }
  let out: string[] | null = null;
  let k = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (namedIn(name, remove)) {
      if (out === null) {
        // Sized for one removal (the usual case; cut to length below), filled by index: no
        // `slice` and no growing pushes.
        out = new Array<string>(raw.length - 2);
        for (; k < i; k++) out[k] = raw[k]!;
      }
      continue;
    }
    if (out !== null) {
      out[k++] = name;
      out[k++] = raw[i + 1]!;
    }
  }
  if (out === null) return raw;
  if (k !== out.length) out.length = k;
  return out;
}

/** The last removed name `shapesUpstreamRequest` passed. */
let lastSafe: string | undefined;

function shapesUpstreamRequest(name: string): boolean {
  return name === 'host' || name === 'cookie' || name.startsWith('x-forwarded-') || name.charCodeAt(0) === 0x3a || isHopByHop(name);
}

/** Whether a raw (any case) header name is one of `remove` (lower case): by length first, lower-cased only on a length match. */
function namedIn(name: string, remove: readonly string[]): boolean {
  for (let j = 0; j < remove.length; j++) {
    const r = remove[j]!;
    if (name.length === r.length && (name === r || name.toLowerCase() === r)) return true;
  }
  return false;
}

function removesAny(remove: readonly string[], headers: HeaderRecord): boolean {
  for (let i = 0; i < remove.length; i++) if (Object.hasOwn(headers, remove[i]!)) return true;
  return false;
}

function copyWithout(headers: HeaderRecord, remove: readonly string[]): HeaderRecord {
  const out = emptyRecord<HeaderValue>();
  for (const name in headers) if (!remove.includes(name)) out[name] = headers[name]!;
  return out;
}

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

/** The policy headers of one response: `Cache-Status` (and its event) on a cached route, then the stages' and the rules'. */
function policyHead(
  plan: PolicyPlan,
  ctx: PolicyContext,
  events: EventSink | undefined,
  probe: CacheProbe | null,
  headers: Record<string, string | string[] | undefined>,
  owned: boolean,
): Record<string, string | string[] | undefined> {
  let status: string | undefined;
  if (plan.cache !== null) {
    const outcome = cacheOutcome(plan.cache, ctx.method, firstValue(ctx.headers['cache-control']), probe);
    status = cacheStatus(outcome);
    emitSafely(events, { type: 'cache', route: ctx.route, status: cacheEventStatus(outcome) });
  }
  const connection = headers['connection'];
  if (owned && plan.responseRules === null && (connection === undefined || connection === 'keep-alive') && headers['proxy-connection'] === undefined) {
    // Nothing to drop but the fixed hop-by-hop list, which the relay's flat head
    // (`endToEndPairs`) drops: the stages' headers go into undici's own head object, replacing
    // an upstream copy where it stands and appended otherwise, the order `applyResponsePolicies`
    // gives a record.
    // The rate-limit stage's two by constant names: a store at a constant name on undici's head
    // (one shape per upstream's header set) is a cached transition, where a store by a variable
    // name went through the megamorphic stub cache (~0.4k instructions per request, session 28).
    const extra = ctx.responseHeaders;
    for (const name in extra) {
      if (name === 'ratelimit-policy') headers['ratelimit-policy'] = extra['ratelimit-policy'];
      else if (name === 'ratelimit') headers['ratelimit'] = extra['ratelimit'];
      else headers[name] = extra[name]!;
    }
    if (status !== undefined) headers['cache-status'] = status;
    return headers;
  }
  // A Connection field naming others (they must go before ours are added, or one naming
  // `ratelimit` would drop ours), response rules, or a head object someone else keeps (the
  // interceptor may store the very object it hands over): a new end-to-end record.
  return applyResponsePolicies(plan, ctx, endToEndHeaders(headers as HeaderRecord), status);
}

/**
 * The relay of a request with policies (no attempt loop): the response head gets the policy
 * headers before the relay writes it (`policyHead`), so the relay writes undici's head as one
 * flat list, as for a route without policies; a relay with an `onHead` hook built a
 * null-prototype record (a dictionary-mode object: every store a hash insert, and Node's
 * writer walks it with `for...in` and an own-property check per name). `ownsHeaders` is false
 * while the route cache's interceptor sits between (its head object may be what it stores).
 */
export class PolicyResponseRelay extends NodeResponseRelay {
  declare private readonly plan: PolicyPlan;
  declare private readonly ctx: PolicyContext;
  declare private readonly events: EventSink | undefined;
  declare private readonly probe: CacheProbe | null;
  declare ownsHeaders: boolean;

  constructor(
    res: ServerResponse,
    state: LogState,
    target: string | undefined,
    method: string,
    plan: PolicyPlan,
    ctx: PolicyContext,
    events: EventSink | undefined,
    probe: CacheProbe | null,
  ) {
    super(res, state, target, method, undefined, ctx.responseHeaders);
    this.plan = plan;
    this.ctx = ctx;
    this.events = events;
    this.probe = probe;
    this.ownsHeaders = true;
  }

  override onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    // What the relay itself skips (an interim response, a client gone) gets no policy headers, as with the hook.
    if (statusCode >= 200 && !this.gone) {
      try {
        headers = policyHead(this.plan, this.ctx, this.events, this.probe, headers, this.ownsHeaders);
      } catch (err) {
        controller.abort(err as Error);
        return;
      }
    }
    super.onResponseStart(controller, statusCode, headers, statusMessage);
  }

  override serveStored(entry: { statusCode: number; statusMessage: string; headers: Record<string, string | string[]>; body: readonly Buffer[] }): void {
    if (this.gone) return super.serveStored(entry);
    // `NodeRouteCache.fresh` builds the entry's headers per request: ours to add to.
    super.serveStored({ ...entry, headers: policyHead(this.plan, this.ctx, this.events, this.probe, entry.headers, true) as Record<string, string | string[]> });
  }
}

const HIT = cacheStatus('hit');

/** Request headers that ask something of the cache: a request that has one (as sent upstream) takes the interceptor. */
const ASKING = ['cache-control', 'pragma', 'if-none-match', 'if-modified-since'] as const;

/**
 * A stored response's head as the hit path writes it, built on its first hit: the end-to-end
 * headers as a flat `[name, value, ...]` list for one `writeHead`, with `Content-Length` the
 * stored body's and without `Age` and `Cache-Status` (written per hit).
 */
interface PreparedHead {
  readonly flat: readonly (string | HeaderValue)[];
  /** The names in `flat`: a stage header of the same name (RateLimit from the upstream) takes the general path. */
  readonly names: ReadonlySet<string>;
  readonly reason: string | undefined;
}

function prepareHead(entry: StoredEntry): PreparedHead {
  const headers = endToEndHeaders(entry.headers);
  delete headers['age'];
  delete headers['cache-status'];
  headers['content-length'] = String(entry.body[0].byteLength);
  const flat: (string | HeaderValue)[] = [];
  for (const name in headers) flat.push(name, headers[name]!);
  return { flat, names: new Set(Object.keys(headers)), reason: safeReason(entry.statusMessage) };
}

/**
 * Per plan (one per route variant, so one route name), what the hit path reads of it on every
 * request, derived once: whether it caches GETs, whether its request rules add a header that
 * asks the cache, and the cache key prefix of each caller (`NodeRouteCache.keyPrefix` of the
 * partition), found by the identity string the auth stage gives (the same string object for a
 * key's every request, so its hash is cached) rather than by building and hashing the
 * partition per hit. A plan's prefix map is cleared when full (a flood of JWT subjects).
 */
interface PlanCache {
  readonly cachesGet: boolean;
  readonly rulesAsk: boolean;
  readonly prefixes: Map<string, string>;
  /**
   * The variant's first target's template without its origin (built on first use), so
   * `buildForwardUrl` gives the key's path (path and query) directly: building the whole URL
   * and slicing the origin off flattened the joined string first (a copy per request).
   */
  local: { readonly of: TargetTemplate; readonly template: TargetTemplate } | null;
}
const planCaches = new WeakMap<PolicyPlan, PlanCache>();
const MAX_PREFIXES = 10_000;

function planCache(plan: PolicyPlan): PlanCache {
  let c = planCaches.get(plan);
  if (c === undefined) {
    const rules = plan.requestRules;
    c = {
      cachesGet: plan.cache !== null && plan.cache.methods.includes('GET'),
      rulesAsk: rules !== null && ASKING.some((name) => rules.set[name] !== undefined || rules.add[name] !== undefined),
      prefixes: new Map<string, string>(),
      local: null,
    };
    planCaches.set(plan, c);
  }
  return c;
}

function keyPrefix(plan: PolicyPlan, byIdentity: Map<string, string>, ctx: PolicyContext): string {
  const identity = plan.perCaller ? (ctx.identity ?? '') : '';
  let prefix = byIdentity.get(identity);
  if (prefix === undefined) {
    if (byIdentity.size >= MAX_PREFIXES) byIdentity.clear();
    prefix = NodeRouteCache.keyPrefix(cachePartition(plan, ctx));
    byIdentity.set(identity, prefix);
  }
  return prefix;
}

/**
 * True when the upstream request of `ctx` would carry a header asking the cache that the
 * client's lacks. Walks the stages' set headers (none for most plans: an empty walk) rather
 * than reading each of the four asking names from them (four megamorphic keyed loads per request).
 */
function upstreamAsksTheCache(c: PlanCache, ctx: PolicyContext): boolean {
  if (c.rulesAsk) return true;
  const set = ctx.setHeaders;
  for (const name in set) if (set[name] !== undefined && (ASKING as readonly string[]).includes(name)) return true;
  return false;
}

/**
 * The route cache's hit fast path, before any upstream request is built or dispatched: a GET
 * whose stored response undici's interceptor would serve as it is (`NodeRouteCache.freshEntry`)
 * is written from the store with one `writeHead` (the head prepared once per entry, plus `Age`,
 * the stages' RateLimit headers and `Cache-Status`) and one `end` with the stored buffer.
 * Returns false, having written nothing, when the request needs the general path: not a GET,
 * HTTP/2, a conditional or cache-directed request, a response that varies or is stale, or no
 * entry. `Cache-Status` and the `cache` event are the ones the general path gives a hit.
 */
export function serveCacheHit(
  cache: NodeRouteCache,
  res: ServerResponse,
  match: RouteMatch,
  plan: PolicyPlan,
  ctx: PolicyContext,
  state: LogState,
  events: EventSink | undefined,
): boolean {
  const c = planCache(plan);
  if (!c.cachesGet || ctx.method !== 'GET' || res.req?.httpVersionMajor !== 1) return false;
  const target = match.variant.targets[0];
  if (target === undefined || upstreamAsksTheCache(c, ctx)) return false;
  const template = target.template;
  const origin = template.origin;
  let local = c.local;
  if (local === null || local.of !== template) local = c.local = { of: template, template: { ...template, origin: '' } };
  // Never empty: buildForwardUrl's path starts with '/'.
  const path = buildForwardUrl(match, ctx.query, local.template);
  const now = Date.now();
  const key = keyPrefix(plan, c.prefixes, ctx) + path;
  const entry = cache.freshEntryAt(key, origin, ctx.headers as Record<string, string | string[]>, false, now);
  if (entry === null) {
    // Nothing at all under the key: the proxy's miss branch takes it from here (node-proxy.ts).
    if (cache.lastKeyEmpty) {
      const nc = ctx as PolicyContext & NodeCacheContext;
      nc.emptyCacheKey = key;
      nc.emptyCacheOrigin = origin;
      nc.emptyCacheQuery = ctx.query;
    }
    return false;
  }
  const prepared = (entry.prepared ??= prepareHead(entry)) as PreparedHead;
  const extra = ctx.responseHeaders;
  // One pass over the stages' headers: appended to the prepared head, unless one of them is
  // also a stored header (then the general path below, which builds a record).
  const head = prepared.flat.slice();
  head.push('age', ageOf(entry, now));
  let general = plan.responseRules !== null;
  for (const name in extra) {
    if (prepared.names.has(name)) general = true;
    head.push(name, extra[name]!);
  }
  emitSafely(events, { type: 'cache', route: ctx.route, status: 'hit' });
  const body = entry.body[0];
  state.bytesOut += body.byteLength;
  if (general) {
    // Response rules (or a stage header the upstream also sent): the general path's order on a record.
    const headers = endToEndHeaders(entry.headers);
    headers['age'] = ageOf(entry, now);
    headers['content-length'] = String(body.byteLength);
    res.writeHead(entry.statusCode, prepared.reason, applyResponsePolicies(plan, ctx, headers, HIT));
  } else {
    head.push('cache-status', HIT);
    res.writeHead(entry.statusCode, prepared.reason, head as string[]);
  }
  res.end(body);
  return true;
}
