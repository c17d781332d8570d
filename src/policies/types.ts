/**
 * The shapes the per-route policy stages share (SPEC 12, ARCHITECTURE "The spine"): a stage sees
 * one request's context and either answers it (401, 403, 429, ...) or lets it pass, possibly
 * having recorded edits for the upstream request and headers for the response. Pure: no Node
 * built-ins, so every stage runs in the fetch runtime too.
 */
import type { HeaderRecord } from '../pipeline/headers.js';
import type { EventSink } from '../telemetry/events.js';
import type { RateLimitStore } from './rate-limit/store.js';

/** A complete answer written by the transport instead of forwarding. */
export interface PolicyAnswer {
  readonly status: number;
  /** Lower-case names; `content-type` included when there is a body. */
  readonly headers: HeaderRecord;
  readonly body: Uint8Array | string | null;
  /** The error code for the access log (`unauthorized`, `rate-limited`, ...); absent for a relayed answer. */
  readonly code?: string;
}

/** What the stages read of a request and what they leave for the upstream request and the response. */
export interface PolicyContext {
  /** The route's name (the variant's, SPEC 10): key of buckets, caches and events. */
  readonly route: string;
  /** The matched pattern as written (error bodies). */
  readonly pattern: string;
  readonly method: string;
  /** The normalized path (no query). */
  readonly path: string;
  /** The normalized query without `?`; a stage may remove a parameter (an API key in the query). */
  query: string;
  /** The request's headers, lower-case names, as the client sent them. Read-only for stages. */
  readonly headers: HeaderRecord;
  /** The client's address after the trusted-proxy rule (`client-address.ts`), or null when unknown. */
  readonly clientAddress: string | null;
  /** The host the client asked for, or null. */
  readonly host: string | null;
  readonly protocol: string;
  /** Request header names to drop before forwarding (credentials, client copies of claim headers). */
  readonly removeHeaders: string[];
  /** Request headers to set before forwarding (claims, forward-auth answers). */
  readonly setHeaders: Record<string, string>;
  /** Headers added to every response of this request, upstream's or a refusal (RateLimit, ...). */
  readonly responseHeaders: Record<string, string>;
  /** Who the caller is once authenticated: the API key's hash or the JWT `sub` (cache partition, rate-limit key). */
  identity?: string;
  /** The verified JWT claims (for `jwt:<claim>` rate-limit keys). */
  claims?: Readonly<Record<string, unknown>>;
  /**
   * The client connection the request came on (Node's socket, HTTP/1), when the transport has
   * one: a stage may remember per connection what a connection's next request would repeat
   * (the API key stage: the key it last accepted there). Absent on fetch runtimes.
   */
  readonly connection?: object;
}

/** What the stages need from the host: one per proxy, handler or runtime. */
export interface PolicyEnvironment {
  /** Where token buckets live (default: an in-process `MemoryRateLimitStore`). */
  readonly rateLimitStore: RateLimitStore;
  readonly events?: EventSink;
  /** Milliseconds since the epoch; tests inject a controllable clock. */
  readonly now: () => number;
  /** For forward auth and JWKS: the platform's `fetch` by default. */
  readonly fetch: typeof fetch;
  /** Deadline for a forward-auth answer, ms. */
  readonly authTimeout: number;
  /**
   * SHA-256 of a string's UTF-8 bytes (API keys). Default `crypto.subtle` (every runtime);
   * the Node proxy passes `node:crypto`'s synchronous hash, several times cheaper per request,
   * which gives the digest as a binary string (one char per byte: no bytes copied per request).
   */
  readonly sha256: (text: string) => Uint8Array | string | Promise<Uint8Array>;
}

/** One stage: an answer ends the request; undefined passes it on. */
export type PolicyStage = (ctx: PolicyContext, env: PolicyEnvironment) => PolicyAnswer | undefined | Promise<PolicyAnswer | undefined>;
