/** The access log of the Node transport: one entry per request, reported when its response closes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

function declaredLength(req: IncomingMessage): number | undefined {
  const cl = req.headers['content-length'];
  if (cl === undefined) return req.headers['transfer-encoding'] === undefined ? 0 : undefined;
  const n = Number(cl);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reports one access-log entry when `res` closes (finished, failed or abandoned). */
export function trackResponse(req: IncomingMessage, res: ServerResponse, started: number, onRequest: ((entry: AccessLogEntry) => void) | undefined, state: LogState): void {
  if (!onRequest && state.observation === null) return;
  res.once('close', () => {
    // Closed before the response was complete, with no upstream error to blame: the client left.
    if (!res.writableFinished && state.error === undefined) state.error = 'client-closed-request';
    const entry: AccessLogEntry = {
      method: req.method ?? 'GET',
      path: req.url ?? '',
      route: state.route,
      status: state.error === 'client-closed-request' ? 499 : res.statusCode,
      ms: performance.now() - started,
    };
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
    const bytesIn = declaredLength(req);
    if (bytesIn !== undefined) entry.bytesIn = bytesIn;
    entry.bytesOut = state.bytesOut;
    state.observation?.end(entry.status, entry.ms, entry.error, bytesIn, state.bytesOut);
    if (!onRequest) return;
    try {
      onRequest(entry);
    } catch {
      // A logging hook never breaks the proxy.
    }
  });
}
