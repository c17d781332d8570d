/**
 * Relays one upstream exchange (an undici dispatch) into a fetch `Response` whose body is a
 * `ReadableStream` fed with backpressure (undici paused while the stream is full). Bytes pass
 * through untouched. The client's abort signal aborts the upstream.
 */
import type { Dispatcher } from 'undici';
import { endToEndHeaders, toFetchHeaders, type HeaderRecord } from '../pipeline/headers.js';
import { ClientClosedError } from './client-closed.js';
import { isNullBodyStatus } from './http-status.js';
import { safeReason } from './reason-phrase.js';

export class FetchResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  private settled = false;
  private finished = false;

  constructor(
    private readonly method: string,
    private readonly signal: AbortSignal,
    private readonly resolve: (response: Response) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    this.controller?.abort(new ClientClosedError());
  };

  private done(): void {
    this.finished = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200 || this.settled) return;
    this.settled = true;
    const noBody = isNullBodyStatus(statusCode) || this.method === 'HEAD';
    const body = noBody
      ? null
      : new ReadableStream<Uint8Array>(
          {
            start: (c) => {
              this.stream = c;
            },
            pull: () => {
              controller.resume();
            },
            cancel: (reason) => {
              if (!this.finished) controller.abort(reason instanceof Error ? reason : new ClientClosedError());
            },
          },
          { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
        );
    try {
      const init = { status: statusCode, statusText: safeReason(statusMessage) ?? '', headers: toFetchHeaders(endToEndHeaders(headers as HeaderRecord)) };
      this.resolve(new Response(body, init));
    } catch (err) {
      this.settled = false;
      this.stream = null;
      controller.abort(Object.assign(new Error('The upstream response cannot be relayed'), { code: 'UND_ERR_INFO', cause: err }));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const stream = this.stream;
    if (stream === null) return;
    stream.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((stream.desiredSize ?? 1) <= 0) controller.pause();
  }

  onResponseEnd(): void {
    this.done();
    try {
      this.stream?.close();
    } catch {
      // Cancelled by the reader.
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.done();
    if (!this.settled) {
      this.settled = true;
      this.reject(err);
      return;
    }
    try {
      this.stream?.error(err);
    } catch {
      // Already closed or cancelled.
    }
  }
}
