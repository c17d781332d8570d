/**
 * WebSocket fixtures on real servers (the `ws` library): an echo upstream that records each
 * handshake it accepts, a gateway serving both requests and upgrades, and small client helpers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { compile, createGateway, type AccessLogEntry, type GatewayOptions, type Router } from '../../src/index.js';
import { startServer, type TestServer } from './servers.js';

export interface WsEchoServer extends TestServer {
  wss: WebSocketServer;
  /** Handshakes the upstream accepted: request target and headers. */
  handshakes: { url: string; headers: IncomingHttpHeaders }[];
  /** Server-side WebSockets open right now. */
  clients(): Set<WebSocket>;
}

/**
 * An upstream echoing every message back as it came (text as text, binary as binary). A
 * message `close:<code>` makes it close with that code and reason `bye`.
 */
export async function startWsEcho(options: { handleProtocols?: (protocols: Set<string>) => string | false } = {}): Promise<WsEchoServer> {
  const server = await startServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('upgrade required');
  });
  const handshakes: WsEchoServer['handshakes'] = [];
  const wss = new WebSocketServer({ server: server.server, maxPayload: 64 * 1024 * 1024, ...(options.handleProtocols ? { handleProtocols: options.handleProtocols } : {}) });
  wss.on('connection', (ws, req) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? '' : (data as Buffer).toString();
      if (text.startsWith('close:')) ws.close(Number(text.slice(6)), 'bye');
      else ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => ws.terminate());
  });
  return {
    ...server,
    wss,
    handshakes,
    clients: () => wss.clients,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await server.close();
    },
  };
}

export interface UpgradeGateway extends TestServer {
  log: AccessLogEntry[];
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string;
}

/** `createGateway` on a Node server with its 'upgrade' listener registered. */
export async function startUpgradeGateway(routes: Record<string, string> | Router, options: Omit<GatewayOptions, 'router'> = {}): Promise<UpgradeGateway> {
  const router = 'match' in routes && typeof routes.match === 'function' ? (routes as Router) : compile(routes as Record<string, string>, { backend: 'js' });
  const log: AccessLogEntry[] = [];
  const gateway = createGateway({ ...options, router, onRequest: (e) => log.push(e) });
  const server = await startServer(gateway.handler);
  server.server.on('upgrade', gateway.upgrade);
  return {
    ...server,
    log,
    wsUrl: server.url.replace('http:', 'ws:'),
    close: async () => {
      await gateway.close();
      await server.close();
    },
  };
}

/** Opens a client WebSocket; resolves once open, rejects on a failed handshake. */
export function openWs(url: string, protocols?: string | string[], options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { maxPayload: 64 * 1024 * 1024, ...options });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The next message of `ws`, with whether it was binary. */
export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('closed before a message arrived'));
    ws.once('close', onClose);
    ws.once('message', (data: RawData, isBinary: boolean) => {
      ws.off('close', onClose);
      resolve({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary });
    });
  });
}

/** Resolves with the close code and reason `ws` reports. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve({ code: 1006, reason: '' });
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
}

/** The failed handshake of a client: the HTTP status and body the client saw. */
/** One WebSocket handshake: the open socket with the 101's headers, or the refusal as the client saw it. */
export type Handshake = { status: 101; headers: IncomingHttpHeaders; ws: WebSocket } | { status: number; headers: IncomingHttpHeaders; body: string; ws?: undefined };

export function handshake(url: string, headers: Record<string, string> = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let head: IncomingHttpHeaders = {};
    ws.once('upgrade', (res) => (head = res.headers));
    ws.once('open', () => resolve({ status: 101, headers: head, ws }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        ws.terminate();
      });
      res.on('error', reject);
    });
    ws.once('error', (err) => reject(err));
  });
}

export async function refusedHandshake(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const r = await handshake(url, headers);
  if (r.ws !== undefined) {
    r.ws.terminate();
    throw new Error('the handshake succeeded');
  }
  return r;
}
