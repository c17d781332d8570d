/** A fetch `Request` as the pipeline's request shape, without re-parsing (and so re-normalizing) its URL. */
import type { ClientInfo, FetchIncoming } from './fetch-types.js';

/** Where the authority of an absolute URL ends (the first `/`, `?` or `#` after `scheme://`). */
function authorityEnd(url: string, start: number): number {
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) return i;
  }
  return url.length;
}

/** The request target (`/path?query`) of an absolute URL, without parsing (and so re-normalizing) it. */
export function requestTargetOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme < 0) return url;
  const rest = url.slice(authorityEnd(url, scheme + 3));
  return rest === '' || rest.charCodeAt(0) !== 0x2f ? '/' + rest : rest;
}

/** The `host[:port]` of an absolute URL (user info removed), or null. */
function authorityOf(url: string): string | null {
  const scheme = url.indexOf('://');
  if (scheme < 0) return null;
  const authority = url.slice(scheme + 3, authorityEnd(url, scheme + 3));
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  return host === '' ? null : host;
}

/** Converts a fetch `Request` to the pipeline's shape. */
export function fromRequest(request: Request, info?: ClientInfo): FetchIncoming {
  const url = request.url;
  const colon = url.indexOf(':');
  const method = request.method;
  return {
    method,
    target: requestTargetOf(url),
    headers: request.headers,
    body: method === 'GET' || method === 'HEAD' ? null : request.body,
    host: authorityOf(url),
    protocol: colon > 0 ? url.slice(0, colon) : 'http',
    clientAddress: info?.clientAddress ?? null,
    signal: request.signal,
  };
}
