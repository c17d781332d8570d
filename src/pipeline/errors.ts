/**
 * Error answers of the request pipeline (SPEC section 8): every failure is answered, never
 * thrown to the host, as JSON `{ error: { code, message }, route }` with a stable kebab-case
 * code. Messages are fixed text: they never carry a target URL, host name or address (those
 * show only with `exposeTargets`). Transport-neutral: the Node and fetch edges write these.
 */
import type { PathErrorCode } from '../normalize/path.js';

export type ProxyErrorCode =
  /** 400/414 from `normalizePath` (the core's codes). */
  | PathErrorCode
  /** 404: no route matches, in a standalone gateway (a runtime runs the function instead). */
  | 'route-not-found'
  /** 405: a pattern matched the path but none of its variants takes this method (SPEC 10.1); `Allow` lists those that do. */
  | 'method-not-allowed'
  /** 502: the outbound policy refused the address the target resolves to. */
  | 'outbound-blocked'
  /** 502: the target's host name does not resolve. */
  | 'upstream-dns-failure'
  /** 502: nothing listens at the target. */
  | 'upstream-connection-refused'
  /** 502: the upstream closed or reset the connection before answering. */
  | 'upstream-connection-reset'
  /** 502: no route to the upstream's network or host. */
  | 'upstream-unreachable'
  /** 502: the TLS handshake with the upstream failed (certificate, protocol). */
  | 'upstream-tls-error'
  /** 502: the upstream's response could not be parsed or relayed. */
  | 'upstream-invalid-response'
  /** 502: any other failure talking to the upstream. */
  | 'upstream-error'
  /** 504: connecting to the upstream took longer than `timeouts.connect`. */
  | 'upstream-connect-timeout'
  /** 504: the upstream sent no response headers within `timeouts.headers` (or went idle mid-body). */
  | 'upstream-timeout'
  /** 400: the request cannot be forwarded as sent (a header or body the upstream client refuses). */
  | 'invalid-request'
  /** 499 (logged only): the client went away before the response was complete. */
  | 'client-closed-request'
  /** 501: a method the proxy does not forward (CONNECT). */
  | 'method-not-supported'
  /** 401: the route's `auth` refused the request (missing or wrong API key, invalid JWT); SPEC 12. */
  | 'unauthorized'
  /** 429: the route's `rateLimit` bucket for this caller is empty; `Retry-After` says when to come back. */
  | 'rate-limited'
  /** 502: the forward-auth server could not be reached or did not answer in time (never fails open). */
  | 'auth-unavailable';

export interface ProxyErrorBody {
  error: { code: ProxyErrorCode; message: string };
  /** The matched pattern as written in the table, or null when no route was matched. */
  route: string | null;
  /** The forwarded URL: only with `exposeTargets: true`. */
  target?: string;
}

export interface ClassifiedError {
  status: number;
  code: ProxyErrorCode;
  message: string;
}

export const ERROR_MESSAGES: Readonly<Record<Exclude<ProxyErrorCode, PathErrorCode>, string>> = {
  'route-not-found': 'No route matches this path',
  'method-not-allowed': 'This path is routed, but not for this method (see the Allow header)',
  'outbound-blocked': 'The target resolves to an address that the outbound policy does not allow (loopback, private, link-local or otherwise non-public)',
  'upstream-dns-failure': 'The upstream host name could not be resolved',
  'upstream-connection-refused': 'The upstream refused the connection',
  'upstream-connection-reset': 'The upstream closed the connection before a complete response',
  'upstream-unreachable': 'The upstream network or host is unreachable',
  'upstream-tls-error': 'The TLS handshake with the upstream failed',
  'upstream-invalid-response': 'The upstream sent a response that cannot be relayed',
  'upstream-error': 'The request to the upstream failed',
  'upstream-connect-timeout': 'Connecting to the upstream timed out',
  'upstream-timeout': 'The upstream did not respond in time',
  'invalid-request': 'The request cannot be forwarded as sent',
  'client-closed-request': 'The client closed the connection before the response was complete',
  'method-not-supported': 'This method is not forwarded',
  unauthorized: 'This route needs valid credentials',
  'rate-limited': 'Too many requests: the rate limit of this route is exhausted (see Retry-After)',
  'auth-unavailable': 'The authentication server could not be reached',
};

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const c = current as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof c.code === 'string') codes.push(c.code);
    if (typeof c.name === 'string') codes.push('name:' + c.name);
    if (Array.isArray(c.errors)) for (const e of c.errors) if (e && typeof (e as { code?: unknown }).code === 'string') codes.push((e as { code: string }).code);
    current = c.cause;
  }
  return codes;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Maps an error from talking to an upstream (undici, fetch, the policy) to a status and code. */
export function classifyUpstreamError(err: unknown): ClassifiedError {
  const codes = errorCodes(err);
  const pick = (code: Exclude<ProxyErrorCode, PathErrorCode>, status: number): ClassifiedError => ({ status, code, message: ERROR_MESSAGES[code] });
  for (const code of codes) {
    switch (code) {
      case 'ERR_OUTBOUND_BLOCKED':
        return pick('outbound-blocked', 502);
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_FAIL':
      case 'EAI_NONAME':
      case 'EAI_NODATA':
      case 'EAI_ADDRFAMILY':
        return pick('upstream-dns-failure', 502);
      case 'ECONNREFUSED':
        return pick('upstream-connection-refused', 502);
      case 'ECONNRESET':
      case 'EPIPE':
      case 'ECONNABORTED':
      case 'UND_ERR_SOCKET':
      case 'UND_ERR_CLOSED':
        return pick('upstream-connection-reset', 502);
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'EHOSTDOWN':
      case 'ENETDOWN':
        return pick('upstream-unreachable', 502);
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'ETIMEDOUT':
        return pick('upstream-connect-timeout', 504);
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
      case 'ERR_UPSTREAM_TIMEOUT':
      case 'name:TimeoutError':
        return pick('upstream-timeout', 504);
      case 'HPE_INVALID_CONSTANT':
      case 'HPE_INVALID_HEADER_TOKEN':
      case 'UND_ERR_INFO':
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      case 'ERR_INVALID_CHAR':
      case 'ERR_INVALID_HTTP_TOKEN':
      case 'name:HTTPParserError':
        return pick('upstream-invalid-response', 502);
      case 'UND_ERR_INVALID_ARG':
      case 'UND_ERR_NOT_SUPPORTED':
      case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
        return pick('invalid-request', 400);
      default:
        if (code.startsWith('HPE_')) return pick('upstream-invalid-response', 502);
        if (TLS_CODES.test(code)) return pick('upstream-tls-error', 502);
    }
  }
  return pick('upstream-error', 502);
}

/** The JSON error body. `target` is included only when given (i.e. `exposeTargets`). */
export function errorBody(code: ProxyErrorCode, message: string, route: string | null, target?: string): ProxyErrorBody {
  const body: ProxyErrorBody = { error: { code, message }, route };
  if (target !== undefined) body.target = target;
  return body;
}

/** Content type of every error response. */
export const ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';
