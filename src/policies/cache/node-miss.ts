/**
 * The route cache's miss path on Node without undici's interceptor: a GET with nothing stored
 * under its key (no entry of any method or Vary variant, and no request header asking the
 * cache anything) goes to the Agent through this handler, which does what undici's
 * CacheHandler does for such a request with the rules of ./freshness.ts (held equal to
 * CacheHandler's by test/cache-rules-undici.test.ts): decide at the response head whether to
 * store, collect the body into the same bounded store (./bounded-store.ts `writer`) while it
 * streams to the client, and store it only when it ends. An upstream failure or an abort
 * mid-body destroys the collection: nothing is stored.
 *
 * What the interceptor would add on such a request and this leaves out is nothing: with no
 * entry under the key its `handleResult` goes straight to `dispatch(opts, new CacheHandler)`,
 * and CacheHandler's deletions (a `no-store` answer, a 304) find nothing to delete. Requests
 * where that is not so (an entry exists, stale or of another variant; a conditional or
 * cache-directed request) still take the interceptor.
 */
import type { Dispatcher } from 'undici';
import type { HeaderRecord } from '../../pipeline/headers.js';
import type { CacheConfig } from '../../table/route.js';
import type { BoundedCacheStore, EntrySink } from './bounded-store.js';
import { storableHead } from './freshness.js';

export class StoringHandler implements Dispatcher.DispatchHandler {
  private sink: EntrySink | null = null;

  constructor(
    private readonly next: Dispatcher.DispatchHandler,
    private readonly store: BoundedCacheStore,
    private readonly config: CacheConfig,
    private readonly origin: string,
    /** The cache key path (partition and path), as the interceptor would key the request. */
    private readonly key: string,
    private readonly method: string,
    /** The request headers as sent upstream: Vary and Authorization are judged on them. */
    private readonly requestHeaders: Record<string, string | string[]>,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // A request started again (a retry) must not store a mix of two responses (as CacheHandler).
    this.sink?.destroy();
    this.sink = null;
    this.next.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    socket: import('node:stream').Duplex,
  ): void {
    this.next.onRequestUpgrade?.(controller, statusCode, headers as never, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    // 1xx interim responses are neither stored nor final (CacheHandler's `canCacheResponse`).
    if (statusCode >= 200) {
      const head = storableHead({
        method: this.method,
        status: statusCode,
        statusText: statusMessage ?? '',
        headers: headers as HeaderRecord,
        requestHeaders: this.requestHeaders,
        ttl: this.config.ttl,
        now: Date.now(),
      });
      if (head !== null) {
        const limit = Math.min(this.config.maxEntrySize, this.store.maxBytes);
        this.sink = this.store.writer(this.origin, this.key, this.method, this.requestHeaders, head, limit, true);
      }
    }
    this.next.onResponseStart?.(controller, statusCode, headers as never, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.sink?.write(chunk);
    this.next.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    // Ended before the client's response (the store commits a microtask later: the response goes first).
    this.sink?.end();
    this.sink = null;
    this.next.onResponseEnd?.(controller, trailers as never);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.sink?.destroy();
    this.sink = null;
    this.next.onResponseError?.(controller, err);
  }
}
