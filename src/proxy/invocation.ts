/**
 * The platform's function invocation shape `{ method, path, headers, query, body }` as the
 * fetch pipeline's request. Pure: no Node built-ins.
 */
import type { ClientInfo, FetchBody, FetchIncoming } from './fetch-types.js';
import { toHeaderRecord, type HeaderRecord } from '../pipeline/headers.js';

/** A function invocation as the platform hands it to the runtime. */
export interface FunctionInvocation {
  /** The HTTP method, in any case (`get`, `Post`, ...). */
  method: string;
  /** The raw request path; may carry its own `?query`. */
  path: string;
  headers?: Readonly<Record<string, string | readonly string[] | undefined | null>> | null;
  /** Query parameters (repeated keys as arrays), or a query string with or without `?`. */
  query?: Readonly<Record<string, string | readonly string[] | undefined | null>> | string | null;
  /**
   * The body: a string, bytes, a stream, or a value already parsed from JSON (sent as JSON).
   * Ignored for GET and HEAD.
   */
  body?: unknown;
}

export interface InvocationInfo extends ClientInfo {
  /** The scheme the client used (`https` by default: platform invocations arrive over TLS). */
  protocol?: string;
  signal?: AbortSignal | null;
}

/** Serializes a query record: keys and values percent-encoded, arrays as repeated keys. */
export function serializeQuery(query: FunctionInvocation['query']): string {
  if (query === null || query === undefined) return '';
  if (typeof query === 'string') return query.startsWith('?') ? query.slice(1) : query;
  const parts: string[] = [];
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    const k = encodeURIComponent(key);
    if (typeof value === 'string') parts.push(k + '=' + encodeURIComponent(value));
    else for (const v of value) parts.push(k + '=' + encodeURIComponent(v));
  }
  return parts.join('&');
}

const encoder = /* @__PURE__ */ new TextEncoder();

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && value instanceof ReadableStream;
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

/** The body as bytes, a string or a stream, and the headers adjusted to it. */
function invocationBody(body: unknown, headers: HeaderRecord): FetchBody {
  if (body === undefined || body === null) return null;
  let out: FetchBody;
  if (typeof body === 'string') out = body;
  else if (body instanceof Uint8Array) out = body;
  else if (body instanceof ArrayBuffer) out = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) out = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  else if (isReadableStream(body))
    return body; // its content-length, if any, stays as sent
  else if (isBlob(body)) {
    headers['content-length'] = String(body.size);
    return body.stream() as ReadableStream<Uint8Array>;
  } else {
    out = JSON.stringify(body);
    if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  }
  // The body may have been re-serialized: its length is what it is now.
  headers['content-length'] = String(typeof out === 'string' ? encoder.encode(out).byteLength : out.byteLength);
  return out;
}

/** Converts an invocation to the fetch pipeline's request shape. */
export function fromInvocation(invocation: FunctionInvocation, info: InvocationInfo = {}): FetchIncoming {
  const method = String(invocation.method ?? 'GET').toUpperCase();
  const headers = toHeaderRecord(invocation.headers ?? null);
  let target = String(invocation.path ?? '');
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const query = serializeQuery(invocation.query);
  if (query !== '') target += (target.includes('?') ? '&' : '?') + query;
  let body: FetchBody = null;
  if (method !== 'GET' && method !== 'HEAD') body = invocationBody(invocation.body, headers);
  else delete headers['content-length'];
  return {
    method,
    target,
    headers,
    body,
    protocol: info.protocol ?? 'https',
    clientAddress: info.clientAddress ?? null,
    signal: info.signal ?? null,
  };
}
