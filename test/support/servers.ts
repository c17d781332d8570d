/**
 * Real HTTP servers on 127.0.0.1 for the proxy and runtime tests: ephemeral ports, every
 * connection tracked and closed with the server, and a raw `node:http` client that neither
 * decompresses nor follows redirects.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServer {
  server: http.Server;
  port: number;
  host: string;
  /** `http://127.0.0.1:PORT` (IPv6 hosts in brackets). */
  url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Connections open right now. */
  openConnections(): number;
  close(): Promise<void>;
}

/** Starts a server on an ephemeral port of `host` (default 127.0.0.1). */
export async function startServer(handler: RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  const server = http.createServer(handler);
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    host,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    connections: () => accepted,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on (a server was there a moment ago). */
export async function closedPort(): Promise<number> {
  const s = await startServer((_req, res) => res.end());
  await s.close();
  return s.port;
}

export interface RawResponse {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface RawRequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders | string[];
  body?: Buffer | string;
  /** Raw request target (sent as is, not normalized). */
  path?: string;
}

/** One request with `agent: false` (its own connection, closed after): the bytes as received. */
export function rawRequest(base: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Parses a JSON body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies of many shapes (echo, error); callers assert on them, as the test lint config intends
export function json<T = any>(res: RawResponse): T {
  return JSON.parse(res.body.toString('utf8')) as T;
}

/** An upstream that answers with what it received: method, url, headers, raw headers, body. */
export function echoHandler(extra?: (req: IncomingMessage, res: ServerResponse) => void): RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      extra?.(req, res);
      const body = Buffer.concat(chunks);
      const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, bodyBase64: body.toString('base64') });
      res.setHeader('content-type', 'application/json');
      res.end(payload);
    });
  };
}

/** Open TCP handles of this process (client sockets and listening servers). */
export function openTcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

/** Waits until `check()` is true (polling), failing after `ms`. */
export async function eventually(check: () => boolean, ms = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends raw request text over a TCP connection (any header, exactly as written) and resolves
 * with the raw response text once the server closes the connection. Send `Connection: close`.
 */
export function rawExchange(port: number, request: string, host = '127.0.0.1'): Promise<string> {
  return import('node:net').then(
    (net) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, host);
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => {
          socket.destroy();
          resolve(Buffer.concat(chunks).toString('latin1'));
        });
        socket.on('error', reject);
        socket.write(request);
      }),
  );
}

/** Splits a raw HTTP/1.1 response into status line, lower-cased header pairs and body. */
export function parseRawResponse(text: string): { statusLine: string; headers: [string, string][]; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = lines.map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
  return { statusLine, headers, body: text.slice(end + 4) };
}
