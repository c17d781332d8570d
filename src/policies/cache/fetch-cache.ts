/**
 * The route cache on the fetch side (the fetch handler and the functions runtime; SPEC 12
 * `cache`): ./route-cache.ts around the forward, which may be one exchange or the whole
 * attempt loop, so a hit reaches no upstream and only the final answer is stored. Bodies are
 * stored as they stream to the client (a pass-through stream that keeps each chunk). Pure: no
 * Node built-ins.
 */
import { toHeaderRecord, toFetchHeaders, type HeaderRecord } from '../../pipeline/headers.js';
import { emitSafely, type EventSink } from '../../telemetry/events.js';
import { MemoryRouteStore, type RouteCacheBounds, type StoredEntry } from './memory-store.js';
import { completeCache, lookupCache, outcomeOf, type BodyCollector, type CacheRequest, type Completion, type Lookup } from './route-cache.js';
import { cacheEventStatus, cacheStatus } from './status.js';

const stores = new WeakMap<object, MemoryRouteStore>();

/**
 * The store of a handler: one per `owner` (the handler's policy runtime, which the functions
 * runtime shares across its per-request options), made on first use with `bounds`.
 */
export function routeStoreOf(owner: object, bounds: RouteCacheBounds | undefined): MemoryRouteStore {
  let s = stores.get(owner);
  if (s === undefined) stores.set(owner, (s = new MemoryRouteStore(bounds)));
  return s;
}

/** A stored entry as a fetch `Response` (no body for HEAD and null-body statuses). */
function storedResponse(entry: StoredEntry, headers: HeaderRecord, method: string): Response {
  let body: Uint8Array | null = null;
  const nullBody = method === 'HEAD' || entry.statusCode === 204 || entry.statusCode === 304;
  if (!nullBody) {
    if (entry.body.length === 1) body = entry.body[0]!;
    else {
      let n = 0;
      for (const c of entry.body) n += c.byteLength;
      body = new Uint8Array(n);
      let at = 0;
      for (const c of entry.body) {
        body.set(c, at);
        at += c.byteLength;
      }
    }
  }
  return new Response(body as BodyInit | null, { status: entry.statusCode, statusText: entry.statusMessage, headers: toFetchHeaders(headers) });
}

/** `response` with a body that hands each chunk to `collector` on its way to the client. */
function collected(response: Response, collector: BodyCollector): Response {
  const source = response.body;
  if (source === null) {
    collector.end();
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await reader.read();
          if (r.done) {
            collector.end();
            controller.close();
            return;
          }
          collector.push(r.value);
          controller.enqueue(r.value);
        } catch (err) {
          collector.abort();
          controller.error(err);
        }
      },
      cancel(reason) {
        collector.abort();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** One request's cache step on the fetch side. */
export class FetchCacheStep {
  readonly lookup: Lookup;
  private completion: Completion | undefined;

  constructor(
    private readonly req: CacheRequest,
    private readonly route: string,
    private readonly events: EventSink | undefined,
  ) {
    this.lookup = lookupCache(req, Date.now());
  }

  /** The stored answer when the lookup hit (response rules are the caller's), else null. */
  hit(): Response | null {
    if (this.lookup.kind !== 'hit') return null;
    return storedResponse(this.lookup.entry, this.lookup.headers, this.req.method);
  }

  /** Conditional headers for the upstream request when a stale entry is revalidated. */
  get conditional(): Readonly<Record<string, string>> | undefined {
    return this.lookup.kind === 'forward' ? this.lookup.conditional : undefined;
  }

  /**
   * The answer to send for the final upstream `response`: a stored entry (after a 304 to our
   * revalidation), the response with its body collected into the store, or the response as it
   * is. `refetch` forwards again without our conditions (a 304 that cannot be used).
   */
  async answer(response: Response, refetch: () => Promise<Response>): Promise<Response> {
    const now = Date.now();
    let c = completeCache(this.req, this.lookup, response.status, response.statusText, toHeaderRecord(response.headers), now);
    if (c.kind === 'refetch') {
      void response.body?.cancel().catch(() => {});
      response = await refetch();
      c = completeCache(this.req, { kind: 'forward', outcome: 'miss' }, response.status, response.statusText, toHeaderRecord(response.headers), Date.now());
    }
    this.completion = c;
    if (c.kind === 'serve-stored') {
      void response.body?.cancel().catch(() => {});
      return storedResponse(c.entry, c.headers, this.req.method);
    }
    if (c.kind === 'store') return collected(response, c.collector);
    return response;
  }

  /** The `Cache-Status` value, once the answer is known (the event is emitted here, once). */
  status(): string {
    const outcome = outcomeOf(this.lookup, this.completion);
    emitSafely(this.events, { type: 'cache', route: this.route, status: cacheEventStatus(outcome) });
    return cacheStatus(outcome);
  }
}
