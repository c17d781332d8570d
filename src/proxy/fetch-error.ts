/** Writes a pipeline error answer as a fetch `Response` (the fetch edge of ../pipeline/errors.ts). */
import { ERROR_CONTENT_TYPE, type ProxyErrorBody } from '../pipeline/errors.js';

/** A fetch-standard error `Response` (no body for HEAD). */
export function errorResponse(status: number, body: ProxyErrorBody, method = 'GET', extra?: Readonly<Record<string, string>>): Response {
  const headers = { ...extra, 'content-type': ERROR_CONTENT_TYPE, 'cache-control': 'no-store' };
  return new Response(method === 'HEAD' ? null : JSON.stringify(body), { status, headers });
}
