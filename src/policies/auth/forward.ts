/**
 * `auth: { type: "forward" }` (SPEC 12), as Traefik's forwardAuth: a GET to the auth server with
 * the listed request headers (all end-to-end ones when the list is empty, as Traefik does) and
 * `X-Forwarded-Method/-Proto/-Host/-Uri/-For`. A 2xx lets the request through with the listed
 * response headers copied onto it (client-sent copies of those names are removed first, so a
 * client cannot forge them); any other answer goes back to the client as it is (a 302 to a
 * login page, a 403 with its body). An auth server that cannot be reached or does not answer
 * in time is a 502: never fail open.
 */
import type { AuthConfig } from '../../table/route.js';
import { HOP_BY_HOP_HEADERS, toHeaderRecord, type HeaderRecord } from '../../pipeline/headers.js';
import { emitSafely } from '../../telemetry/events.js';
import { policyError } from '../answer.js';
import type { PolicyAnswer, PolicyStage } from '../types.js';

type ForwardConfig = Extract<AuthConfig, { type: 'forward' }>;

/** The most of an auth server's refusal body relayed (an error page, not a download). */
const MAX_BODY = 1024 * 1024;

async function readCapped(response: Response): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      throw Object.assign(new Error("The auth server's answer is too large to relay"), { code: 'ERR_AUTH_BODY_TOO_LARGE' });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function forwardAuthStage(config: ForwardConfig): PolicyStage {
  const copyAll = config.requestHeaders.length === 0;
  return async (ctx, env): Promise<PolicyAnswer | undefined> => {
    for (const h of config.responseHeaders) ctx.removeHeaders.push(h);
    const headers = new Headers();
    const identity: string[] = [];
    const names = copyAll ? Object.keys(ctx.headers) : config.requestHeaders;
    for (const name of names) {
      if (HOP_BY_HOP_HEADERS.has(name) || name === 'host' || name === 'content-length' || name.startsWith('x-forwarded-')) continue;
      const value = ctx.headers[name];
      if (value === undefined) continue;
      for (const v of typeof value === 'string' ? [value] : value) headers.append(name, v);
      if (name === 'authorization' || name === 'cookie' || !copyAll) identity.push(`${name}=${typeof value === 'string' ? value : value.join(',')}`);
    }
    headers.set('x-forwarded-method', ctx.method);
    headers.set('x-forwarded-proto', ctx.protocol);
    if (ctx.host !== null) headers.set('x-forwarded-host', ctx.host);
    headers.set('x-forwarded-uri', ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`);
    if (ctx.clientAddress !== null) headers.set('x-forwarded-for', ctx.clientAddress);
    // Bytes are relayed as received: no compressed answer to decode.
    headers.set('accept-encoding', 'identity');
    let response: Response;
    let body: Uint8Array | null = null;
    try {
      response = await env.fetch(config.url, { method: 'GET', headers, redirect: 'manual', signal: AbortSignal.timeout(env.authTimeout) });
      if (response.status >= 200 && response.status < 300) await response.body?.cancel();
      else body = await readCapped(response);
    } catch (err) {
      const code = (err as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'unreachable';
      emitSafely(env.events, { type: 'auth-failure', route: ctx.route, scheme: 'forward', reason: code });
      return policyError(502, 'auth-unavailable', ctx.pattern);
    }
    if (response.status >= 200 && response.status < 300) {
      for (const name of config.responseHeaders) {
        const v = response.headers.get(name);
        if (v !== null) ctx.setHeaders[name] = v;
      }
      ctx.identity = 'fwd:' + identity.join('\n');
      return undefined;
    }
    emitSafely(env.events, { type: 'auth-failure', route: ctx.route, scheme: 'forward', reason: `status ${response.status}` });
    const relayed: HeaderRecord = Object.create(null) as HeaderRecord;
    const all = toHeaderRecord(response.headers);
    for (const name in all) {
      if (HOP_BY_HOP_HEADERS.has(name) || name === 'content-length' || name === 'content-encoding') continue;
      relayed[name] = all[name]!;
    }
    return { status: response.status, headers: relayed, body };
  };
}
