/**
 * A real upstream for the adapter tests, on 127.0.0.1: echoes what it received as JSON
 * (method, path, the headers that matter, the body's length and SHA-256, read as a stream),
 * sends two Set-Cookie headers, and counts requests. Plus helpers to start and stop servers.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

export interface Echo {
  method: string;
  url: string;
  host: string | undefined;
  forwardedFor: string | undefined;
  forwardedHost: string | undefined;
  forwardedProto: string | undefined;
  contentType: string | undefined;
  bytes: number;
  sha256: string;
}

export interface Upstream {
  server: Server;
  origin: string;
  /** Requests received so far. */
  readonly count: number;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host,
        forwardedFor: req.headers['x-forwarded-for'] as string | undefined,
        forwardedHost: req.headers['x-forwarded-host'] as string | undefined,
        forwardedProto: req.headers['x-forwarded-proto'] as string | undefined,
        contentType: req.headers['content-type'],
        bytes,
        sha256: hash.digest('hex'),
      };
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes', 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] });
      res.end(JSON.stringify(echo));
    });
  });
  const origin = await listen(server);
  return {
    server,
    origin,
    get count() {
      return count;
    },
    close: () => closeServer(server),
  };
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (bound, then released). */
export async function deadOrigin(): Promise<string> {
  const s = createServer();
  const origin = await listen(s);
  await closeServer(s);
  return origin;
}

/** A deterministic body of `n` bytes, and its SHA-256. */
export function payload(n: number): { body: Buffer; sha256: string } {
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = (i * 31 + 7) & 0xff;
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/** One request with a raw path (sent as written), the response read whole. */
export async function send(
  origin: string,
  path: string,
  init: { method?: string; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json<T = unknown>(): T }> {
  const { request } = await import('undici');
  const res = await request(origin + path, { method: (init.method ?? 'GET') as 'GET', body: init.body, headers: init.headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

/**
 * The adapters' shared checks (every framework must forward the same way): a matched GET of
 * `/api/users/42/orders?page=2` reaches the upstream with the target's Host and the forwarded
 * headers, and both Set-Cookies come back. Returns the response for framework-specific checks.
 */
export async function expectProxiedGet(origin: string, upstream: Upstream): Promise<Awaited<ReturnType<typeof send>>> {
  const res = await send(origin, '/api/users/42/orders?page=2');
  expect(res.status).toBe(200);
  expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  const echo = res.json<Echo>();
  expect(echo).toMatchObject({ method: 'GET', url: '/users/42/orders?page=2', host: new URL(upstream.origin).host, forwardedHost: new URL(origin).host, forwardedProto: 'http' });
  expect(echo.forwardedFor).toContain('127.0.0.1');
  return res;
}

/** A 2 MB body sent to `path` arrives at `upstreamUrl`, byte for byte. */
export async function expectStreamedUpload(origin: string, method: string, path: string, upstreamUrl: string): Promise<void> {
  const { body, sha256 } = payload(2 * 1024 * 1024);
  const res = await send(origin, path, { method, body, headers: { 'content-type': 'application/octet-stream' } });
  expect(res.json<Echo>()).toMatchObject({ method, url: upstreamUrl, bytes: body.length, sha256 });
}
