/**
 * The access log of the Node transport: one entry per request, reported when its response
 * closes, with the request body bytes actually read from the client (and forwarded) and the
 * response body bytes relayed (counted by ./node-relay.ts as chunks go out, so a chunked
 * response counts its payload, not its chunk framing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
// Imported, not the global: Node's global `performance` is a lazy getter, run on every read.
import { performance } from 'node:perf_hooks';
import type { ProxyErrorCode } from '../pipeline/errors.js';
import type { AttemptObservation, RequestObservation } from '../telemetry/observer.js';
import type { AccessLogEntry } from './types.js';

/** What a finished exchange reports; the relay fills it in as the exchange goes. */
export interface LogState {
  route: string | null;
  upstreamStatus?: number;
  error?: ProxyErrorCode;
  /** The matched variant's name and index. */
  name?: string;
  variant?: number;
  /** The target (as written) of the last attempt, attempts made, when the (last) attempt started (performance.now()). */
  target?: string;
  attempts?: number;
  upstreamStarted?: number;
  upstreamMs?: number;
  /** Response body bytes relayed so far. */
  bytesOut: number;
  /** Metrics and spans of this request (null: nothing observes). */
  observation: RequestObservation | null;
  /** The upstream attempt in flight, ended by the relay. */
  attempt?: AttemptObservation;
}

/**
 * A request's log state with every field present from the start: one object shape for every
 * request (fields added one by one later would walk V8 through a chain of map transitions and
 * grow the object, ~240 bytes per request even with telemetry off). Readers test `!== undefined`.
 */
export function newLogState(): LogState {
  return {
    route: null,
    upstreamStatus: undefined,
    error: undefined,
    name: undefined,
    variant: undefined,
    target: undefined,
    attempts: undefined,
    upstreamStarted: undefined,
    upstreamMs: undefined,
    bytesOut: 0,
    observation: null,
    attempt: undefined,
  };
}

/**
 * Whether the request may carry a body: a declared non-zero length, a chunked (or otherwise
 * transfer-coded) body, or HTTP/2, where a body needs neither header.
 */
function mayHaveBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return cl !== '0';
  return req.headers['transfer-encoding'] !== undefined || req.httpVersionMajor === 2;
}

/**
 * Counts the request body bytes as whoever forwards the body reads them, without a copy:
 * a 'data' listener sees every chunk the stream hands out, whether it is piped (undici's
 * 'data' listener), iterated (the attempt loop's `read()`), or buffered for a retry.
 * `prependListener` because `on('data')` would switch the stream to flowing mode before its
 * reader is attached, dropping chunks; EventEmitter's prepend does not (Readable overrides
 * only `on`). A body nobody reads is dumped by Node with its 'data' listeners removed: not
 * counted, as it was not forwarded.
 */
function countBody(req: IncomingMessage): { bytes: number } {
  const counter = { bytes: 0 };
  req.prependListener('data', (chunk: Buffer | string) => {
    counter.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  return counter;
}

const NO_BODY: { readonly bytes: number } = { bytes: 0 };

/**
 * The entry of a finished exchange: the fields that apply, in one order. A request the upstream
 * answered without error (nearly all) is one object literal of its final shape; adding
 * properties one by one to a five-field literal moved most of them to a separately allocated
 * (and regrown) property store.
 */
function entryOf(req: IncomingMessage, state: LogState, status: number, ms: number, bytesIn: number): AccessLogEntry {
  const method = req.method ?? 'GET';
  const path = req.url ?? '';
  if (state.error === undefined && state.upstreamStatus !== undefined && state.name !== undefined && state.target !== undefined && state.upstreamMs !== undefined)
    return {
      method,
      path,
      route: state.route,
      status,
      ms,
      upstreamStatus: state.upstreamStatus,
      name: state.name,
      variant: state.variant!,
      target: state.target,
      attempts: state.attempts ?? 1,
      upstreamMs: state.upstreamMs,
      bytesIn,
      bytesOut: state.bytesOut,
    };
  const entry: AccessLogEntry = { method, path, route: state.route, status, ms };
  if (state.upstreamStatus !== undefined) entry.upstreamStatus = state.upstreamStatus;
  if (state.error !== undefined) entry.error = state.error;
  if (state.name !== undefined) {
    entry.name = state.name;
    entry.variant = state.variant!;
  }
  if (state.target !== undefined) {
    entry.target = state.target;
    entry.attempts = state.attempts ?? 1;
    if (state.upstreamMs !== undefined) entry.upstreamMs = state.upstreamMs;
  }
  entry.bytesIn = bytesIn;
  entry.bytesOut = state.bytesOut;
  return entry;
}

/** Reports one access-log entry when `res` closes (finished, failed or abandoned). */
export function trackResponse(req: IncomingMessage, res: ServerResponse, started: number, onRequest: ((entry: AccessLogEntry) => void) | undefined, state: LogState): void {
  if (!onRequest && state.observation === null) return;
  const bodyIn = mayHaveBody(req) ? countBody(req) : NO_BODY;
  // 'close' comes once per response: `on` spares the wrapper `once` builds per request.
  res.on('close', () => {
    // Closed before the response was complete, with no upstream error to blame: the client left.
    if (!res.writableFinished && state.error === undefined) state.error = 'client-closed-request';
    const status = state.error === 'client-closed-request' ? 499 : res.statusCode;
    const ms = performance.now() - started;
    state.observation?.end(status, ms, state.error, bodyIn.bytes, state.bytesOut);
    // Metrics alone need no entry object.
    if (!onRequest) return;
    const entry = entryOf(req, state, status, ms, bodyIn.bytes);
    try {
      onRequest(entry);
    } catch {
      // A logging hook never breaks the proxy.
    }
  });
}
