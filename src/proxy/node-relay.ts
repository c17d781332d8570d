/**
 * Relays one upstream exchange (an undici dispatch) into a Node `ServerResponse`: status and
 * end-to-end headers, then the body with backpressure (undici paused while the client's socket
 * drains). A client that leaves aborts the upstream; an upstream that fails before the head is
 * answered as JSON, after it ends the client's response abruptly.
 *
 * With `hooks` (a route with retries or several targets, ./node-upstream.ts), one relay serves
 * every attempt of a request: before the head goes out the hooks may discard a response (a
 * retried 503) or take over a failure (a retry), and they hear how each attempt ended.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { classifyUpstreamError, errorBody } from '../pipeline/errors.js';
import { endToEndHeaders, endToEndPairs, type HeaderRecord } from '../pipeline/headers.js';
import { ClientClosedError } from './client-closed.js';
import type { LogState } from './node-access-log.js';
import { sendNodeError } from './node-error.js';
import { safeReason } from './reason-phrase.js';

/** What the attempt loop hears from the relay (all optional to implement beyond these). */
export interface RelayHooks {
  /** A final response head arrived: relay it, or discard it (its body is drained) to retry. */
  onHead(statusCode: number): 'relay' | 'discard';
  /** A discarded response's body ended (or failed): the next attempt may start. */
  onDiscarded(): void;
  /** The attempt failed before any head was relayed: true when the loop retries (nothing is written). */
  onFailure(err: Error): boolean;
  /** The exchange is over: the relayed body ended (`ok`), failed mid-body, or the client left. */
  onDone(outcome: 'ok' | 'failed-mid-body' | 'client-gone'): void;
  /** An attempt got its controller (undici hands it over once the request is being written). */
  onStart?(controller: Dispatcher.DispatchController): void;
}

export class NodeResponseRelay implements Dispatcher.DispatchHandler {
  // Fields are assigned in the constructor, not declared with initializers: an ES2022 class
  // field is a define-property per field and object (one relay per request).
  declare private controller: Dispatcher.DispatchController | null;
  declare private clientGone: boolean;
  declare private ended: boolean;
  declare private waitingDrain: boolean;
  declare private discarding: boolean;
  declare private abandoned: boolean;
  declare private readonly res: ServerResponse;
  declare private readonly state: LogState;
  declare private target: string | undefined;
  declare private readonly method: string;
  /** Rewrites the response head (per-route policies: response rules, RateLimit, Cache-Status). */
  declare private readonly onHead: ((headers: HeaderRecord) => HeaderRecord) | undefined;
  /** Headers every answer of the route carries, errors included (RateLimit, SPEC 12). */
  declare private readonly errorHeaders: Readonly<Record<string, string>> | undefined;
  /** The attempt loop's hooks (SPEC 11: retries take over a discarded answer or a failure). */
  declare private readonly hooks: RelayHooks | undefined;
  declare private readonly onClientClose: () => void;

  constructor(
    res: ServerResponse,
    state: LogState,
    target: string | undefined,
    method: string,
    onHead?: (headers: HeaderRecord) => HeaderRecord,
    errorHeaders?: Readonly<Record<string, string>>,
    hooks?: RelayHooks,
  ) {
    this.controller = null;
    this.clientGone = false;
    this.ended = false;
    this.waitingDrain = false;
    this.discarding = false;
    this.abandoned = false;
    this.res = res;
    this.state = state;
    this.target = target;
    this.method = method;
    this.onHead = onHead;
    this.errorHeaders = errorHeaders;
    this.hooks = hooks;
    this.onClientClose = () => this.clientClosed();
    // 'close' comes once per response: `on` spares the wrapper `once` builds per request.
    res.on('close', this.onClientClose);
  }

  /** The current attempt's controller (null between attempts). */
  get attempt(): Dispatcher.DispatchController | null {
    return this.controller;
  }

  /** Whether the client went away. */
  get gone(): boolean {
    return this.clientGone;
  }

  /** The forwarded URL shown in error bodies (with `exposeTargets`) changes with each attempt's target. */
  setTarget(target: string | undefined): void {
    this.target = target;
  }

  /**
   * Ends the exchange with `err` (the route's deadline passed): aborts the attempt in flight,
   * or, between attempts or while one is still connecting, answers the error at once.
   */
  abandon(err: Error): void {
    if (this.ended || this.clientGone) return;
    if (this.controller !== null) {
      this.controller.abort(err);
      return;
    }
    this.abandoned = true;
    this.ended = true;
    const c = classifyUpstreamError(err);
    this.state.error = c.code;
    sendNodeError(this.res, c.status, errorBody(c.code, c.message, this.state.route, this.target), this.method);
  }

  private clientClosed(): void {
    if (this.ended || this.res.writableFinished) return;
    this.clientGone = true;
    this.state.error = 'client-closed-request';
    this.controller?.abort(new ClientClosedError());
    this.hooks?.onDone('client-gone');
  }

  private onDrain(): void {
    this.waitingDrain = false;
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.discarding = false;
    if (this.clientGone || this.abandoned) controller.abort(new ClientClosedError());
    else this.hooks?.onStart?.(controller);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: not relayed
    if (this.clientGone) return;
    this.state.upstreamStatus = statusCode;
    if (this.hooks !== undefined && this.hooks.onHead(statusCode) === 'discard') {
      this.discarding = true;
      return;
    }
    try {
      // HTTP/2 has no reason phrase (Node warns when given one): only HTTP/1.x gets it, and
      // the flat list (Node's HTTP/1 serializer takes it; the HTTP/2 compatibility API is not
      // asked to). Response rules (`onHead`) work on the record.
      const h1 = this.res.req?.httpVersionMajor !== 2;
      // The usual reason ("OK" for 200) is what Node writes when given none: no regex check.
      const reason = h1 && statusMessage !== STATUS_CODES[statusCode] ? safeReason(statusMessage) : undefined;
      const pairs = h1 && this.onHead === undefined ? endToEndPairs(headers) : null;
      if (pairs !== null) this.res.writeHead(statusCode, reason, pairs);
      else {
        const out = endToEndHeaders(headers as HeaderRecord);
        this.res.writeHead(statusCode, reason, this.onHead ? this.onHead(out) : out);
      }
    } catch (err) {
      controller.abort(err as Error);
      return;
    }
    // Node sends the head with the first body chunk. A stream whose events come later (SSE,
    // a long-poll that answers head first) must not wait for one: an event stream gets its
    // head at once; any other body without a length gets it as soon as this read of the
    // upstream's bytes is done and no chunk came with it.
    const type = headers['content-type'];
    if (typeof type === 'string' && type.startsWith('text/event-stream')) this.res.flushHeaders();
    else if (headers['content-length'] === undefined) setImmediate(() => this.flushIfIdle());
  }

  private flushIfIdle(): void {
    if (!this.clientGone && !this.ended && !this.res.headersSent && !this.res.destroyed) this.res.flushHeaders();
  }

  /** Answers with a stored response (the route cache's hit fast path): no upstream exchange. */
  serveStored(entry: { statusCode: number; statusMessage: string; headers: Record<string, string | string[]>; body: readonly Buffer[] }): void {
    this.ended = true;
    if (this.clientGone || this.res.destroyed) return;
    const out = endToEndHeaders(entry.headers);
    this.res.writeHead(entry.statusCode, safeReason(entry.statusMessage), this.onHead ? this.onHead(out) : out);
    if (this.method === 'HEAD') this.res.end();
    else {
      const body = entry.body.length === 1 ? entry.body[0]! : Buffer.concat(entry.body as Buffer[]);
      this.state.bytesOut += body.length;
      this.res.end(body);
    }
  }

  /** The attempt is over: its duration and status go to the log state and the observer. */
  private settle(error: string | undefined): void {
    const s = this.state;
    if (s.upstreamStarted !== undefined && s.upstreamMs === undefined) s.upstreamMs = performance.now() - s.upstreamStarted;
    s.attempt?.end(s.upstreamStatus, error);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici hands over an empty chunk when it resumes after a pause (its parser is flushed with
    // an empty buffer): writing it would cost a cork, a nextTick and an empty write(2) on the
    // client's socket per paused response (every body chunk >= 16 KB pauses, see below).
    if (this.clientGone || this.discarding || chunk.length === 0) return;
    this.state.bytesOut += chunk.length;
    // Pause undici only when the PREVIOUS chunk has not drained yet. Node's http corks the socket
    // until the next tick, so `write` answers false for any chunk over the 16 KB highWaterMark
    // even when the kernel then takes it whole; undici's next chunk comes from its next socket
    // read, after that tick, so by then a flushed write has drained. Pausing on every false
    // cost a pause, a resume and a 'drain' listener per 64 KB response; this way a client that
    // does not keep up holds at most one more chunk (one socket read, <= 64 KB) before the pause.
    // `writableNeedDrain` is undefined on a response that lacks it: pause at once, as before.
    const backedUp = this.res.writableNeedDrain !== false;
    if (!this.res.write(chunk) && backedUp && !this.waitingDrain) {
      this.waitingDrain = true;
      controller.pause();
      // Built only under backpressure: most exchanges never wait for a drain.
      this.res.once('drain', () => this.onDrain());
    }
  }

  onResponseEnd(): void {
    if (this.discarding) {
      this.discarding = false;
      this.controller = null;
      this.hooks!.onDiscarded();
      return;
    }
    this.ended = true;
    this.settle(undefined);
    if (this.clientGone) return;
    this.res.end();
    this.hooks?.onDone('ok');
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.clientGone || this.ended) {
      if (!this.ended) this.settle('client-closed-request');
      return;
    }
    if (this.discarding) {
      // The discarded response's body failed: the retry goes ahead all the same.
      this.discarding = false;
      this.controller = null;
      this.hooks!.onDiscarded();
      return;
    }
    this.controller = null;
    if (this.hooks !== undefined && !this.res.headersSent && this.hooks.onFailure(err)) return;
    this.ended = true;
    const c = classifyUpstreamError(err);
    this.settle(c.code);
    this.state.error = c.code;
    if (this.res.headersSent) {
      // The upstream died mid-body: end the client's response with an error (no clean end).
      this.hooks?.onDone('failed-mid-body');
      this.res.destroy();
      return;
    }
    sendNodeError(this.res, c.status, errorBody(c.code, c.message, this.state.route, this.target), this.method, this.errorHeaders);
  }
}
