/** The access log of the Node transport: one entry per request, reported when its response closes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyErrorCode } from '../pipeline/errors.js';
import type { AccessLogEntry } from './types.js';

/** What a finished exchange reports; the relay fills it in as the exchange goes. */
export interface LogState {
  route: string | null;
  upstreamStatus?: number;
  error?: ProxyErrorCode;
  /** The target (as written) of the last attempt, and how many attempts there were (SPEC 11). */
  target?: string;
  attempts?: number;
}

/** Reports one access-log entry when `res` closes (finished, failed or abandoned). */
export function trackResponse(req: IncomingMessage, res: ServerResponse, started: number, onRequest: ((entry: AccessLogEntry) => void) | undefined, state: LogState): void {
  if (!onRequest) return;
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
    if (state.target !== undefined) entry.target = state.target;
    if (state.attempts !== undefined) entry.attempts = state.attempts;
    try {
      onRequest(entry);
    } catch {
      // A logging hook never breaks the proxy.
    }
  });
}
