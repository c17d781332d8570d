/** Writes a pipeline error answer to a Node `ServerResponse` (the Node edge of ../pipeline/errors.ts). */
import type { ServerResponse } from 'node:http';
import { ERROR_CONTENT_TYPE, type ProxyErrorBody } from '../pipeline/errors.js';

/** Answers a JSON error (no body for HEAD), or ends the response abruptly if its head is already out. */
export function sendNodeError(res: ServerResponse, status: number, body: ProxyErrorBody, method: string | undefined, headers?: Readonly<Record<string, string>>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': ERROR_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : text);
}
