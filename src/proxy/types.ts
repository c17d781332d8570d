/**
 * Types shared by the proxy's interfaces (Node, fetch, runtime). Pure: no Node built-ins.
 */
import type { Router } from '../match/types.js';
import type { PolicyHostOptions } from '../pipeline/policies.js';
import type { EventSink } from '../telemetry/events.js';

/** One line of the access log: reported once per request through `onRequest`. */
export interface AccessLogEntry {
  method: string;
  /** The request target as received (path and query). */
  path: string;
  /** The matched pattern as written in the table, or null (no route, or an invalid path). */
  route: string | null;
  /** The status sent to the client (499 when the client left before the response was complete). */
  status: number;
  /** The upstream's status, when the upstream answered. */
  upstreamStatus?: number;
  /** Milliseconds from the request's arrival to the end of the response. */
  ms: number;
  /** The error code (see `ProxyErrorCode`), when the request failed. */
  error?: string;
  /** The matched route's name (`RouteVariant.name`: its `name` field, else the pattern). */
  name?: string;
  /** The matched variant's 0-based index in its route's array. */
  variant?: number;
  /** The target the request went to (as written in the table; the last one tried after retries). */
  target?: string;
  /** Upstream attempts made (1 without retries). */
  attempts?: number;
  /** Milliseconds from the upstream request being sent to its response's end (or failure). */
  upstreamMs?: number;
  /** Request body bytes read from the client and forwarded (chunked bodies included; 0 when the body was not forwarded). */
  bytesIn?: number;
  /** Response body bytes sent to the client. */
  bytesOut?: number;
}

/** Upstream timeouts in milliseconds. */
export interface TimeoutOptions {
  /** Establishing the TCP (and TLS) connection. Default 5,000. */
  connect?: number;
  /** From the request being sent to the response's headers. Default 60,000. */
  headers?: number;
  /** Longest silence between two chunks of the response body. Default 60,000. */
  bodyIdle?: number;
}

export type ResolvedTimeouts = Required<TimeoutOptions>;

export const DEFAULT_TIMEOUTS: Readonly<ResolvedTimeouts> = Object.freeze({ connect: 5_000, headers: 60_000, bodyIdle: 60_000 });

export function resolveTimeouts(timeouts: TimeoutOptions | undefined): ResolvedTimeouts {
  return {
    connect: timeouts?.connect ?? DEFAULT_TIMEOUTS.connect,
    headers: timeouts?.headers ?? DEFAULT_TIMEOUTS.headers,
    bodyIdle: timeouts?.bodyIdle ?? DEFAULT_TIMEOUTS.bodyIdle,
  };
}

/** A router, or a getter called per request (so a host can swap tables on reload). */
export type RouterSource = Router | (() => Router);

export function currentRouter(source: RouterSource): Router {
  return typeof source === 'function' ? source() : source;
}

/** Options every proxy interface shares (with the per-route policies' host options, SPEC 12). */
export interface ProxyCommonOptions extends PolicyHostOptions {
  /**
   * Refuse upstream addresses that are loopback, private, link-local, CGNAT, unique-local,
   * unspecified or otherwise non-public (answered 502 `outbound-blocked`). Default false for
   * gateways and handlers, true for the runtime router.
   */
  blockPrivateNetworks?: boolean;
  /** Show the forwarded URL in error bodies (`target`). Default false. */
  exposeTargets?: boolean;
  timeouts?: TimeoutOptions;
  /** Keep X-Forwarded-Host/-Proto that arrive with the request (behind a trusted proxy). Default false. */
  trustForwardedHeaders?: boolean;
  /** Keep `%2F`/`%5C` opaque inside a segment instead of answering 400 (see `normalizePath`). */
  allowEncodedSlashes?: boolean;
  /** Called once per request with its access-log entry. Exceptions it throws are ignored. */
  onRequest?: (entry: AccessLogEntry) => void;
  /** Routing events (retries, ejections, refusals, cache results) for metrics and logs; see src/telemetry/events.ts. */
  events?: EventSink;
}
