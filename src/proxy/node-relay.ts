/**
 * Relays one upstream exchange (an undici dispatch) into a Node `ServerResponse`: status and
 * end-to-end headers, then the body with backpressure (undici paused while the client's socket
 * drains). A client that leaves aborts the upstream; an upstream that fails before the head is
 * answered as JSON, after it ends the client's response abruptly.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { classifyUpstreamError, errorBody } from '../pipeline/errors.js';
import { endToEndHeaders, type HeaderRecord } from '../pipeline/headers.js';
import { ClientClosedError } from './client-closed.js';
import type { LogState } from './node-access-log.js';
import { sendNodeError } from './node-error.js';
import { safeReason } from './reason-phrase.js';

export class NodeResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private clientGone = false;
  private ended = false;
  private waitingDrain = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly state: LogState,
    private readonly target: string | undefined,
    private readonly method: string,
  ) {
    res.once('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (this.ended || this.res.writableFinished) return;
    this.clientGone = true;
    this.state.error = 'client-closed-request';
    this.controller?.abort(new ClientClosedError());
  };

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.controller?.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: not relayed
    if (this.clientGone) return;
    this.state.upstreamStatus = statusCode;
    try {
      this.res.writeHead(statusCode, safeReason(statusMessage), endToEndHeaders(headers as HeaderRecord));
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  /** The attempt is over: its duration and status go to the log state and the observer. */
  private settle(error: string | undefined): void {
    const s = this.state;
    if (s.upstreamStarted !== undefined && s.upstreamMs === undefined) s.upstreamMs = performance.now() - s.upstreamStarted;
    s.attempt?.end(s.upstreamStatus, error);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    this.state.bytesOut += chunk.length;
    if (!this.res.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    this.settle(undefined);
    if (this.clientGone) return;
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.clientGone || this.ended) {
      if (!this.ended) this.settle('client-closed-request');
      return;
    }
    this.ended = true;
    const c = classifyUpstreamError(err);
    this.settle(c.code);
    this.state.error = c.code;
    if (this.res.headersSent) {
      // The upstream died mid-body: end the client's response with an error (no clean end).
      this.res.destroy();
      return;
    }
    sendNodeError(this.res, c.status, errorBody(c.code, c.message, this.state.route, this.target), this.method);
  }
}
