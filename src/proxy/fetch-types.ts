/** The shapes the fetch-standard transport works with. Pure: no Node built-ins. */
import type { ProxyRequest } from '../pipeline/upstream-request.js';
import type { HeadersInput } from '../pipeline/headers.js';
import type { ResolvedTimeouts } from './types.js';

/** A request body as the fetch interfaces carry it. */
export type FetchBody = ReadableStream<Uint8Array> | Uint8Array | string | null;

/**
 * Sends a built request upstream and resolves with the upstream's response, hop-by-hop headers
 * removed, body streaming. Rejects with the transport's error (mapped to a 502/504 code by the
 * pipeline). Never follows redirects. `context.signal` aborts when the client goes away.
 */
export type FetchTransport = (request: ProxyRequest<FetchBody>, context: { readonly signal: AbortSignal; readonly timeouts: ResolvedTimeouts }) => Promise<Response>;

/** What the fetch side of the pipeline needs from a request, whatever shape it arrived in. */
export interface FetchIncoming {
  method: string;
  /** The raw request target: path and query as sent (`/a/b?x=1`). */
  target: string;
  headers: HeadersInput;
  body: FetchBody;
  /** The host the client asked for, when `headers` hold no `Host`. */
  host?: string | null;
  protocol?: string;
  clientAddress?: string | null;
  signal?: AbortSignal | null;
}

/** Per-request facts a `Request` does not carry. */
export interface ClientInfo {
  /** The client's address (the socket's), appended to X-Forwarded-For. Without it, X-Forwarded-For is only what the client sent. */
  clientAddress?: string | null;
}
