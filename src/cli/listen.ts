/**
 * The server `serve` listens with: plain HTTP/1.1 (default), HTTPS with HTTP/2 negotiated by
 * ALPN and HTTP/1.1 for clients that do not offer h2 (`--tls-cert`/`--tls-key`), or cleartext
 * HTTP/2 with prior knowledge (`--h2c`). Every kind serves the same request handler (Node's
 * http2 compatibility API gives it `req`/`res` objects of the same shape) and, where HTTP/1.1
 * is spoken, the same 'upgrade' listener (WebSockets). The certificate is re-read when its
 * files change, like the route table: a pair that does not load is reported and the previous
 * one keeps serving.
 */
import { readFile } from 'node:fs/promises';
import type { FSWatcher } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, createServer as createH2cServer, type Http2SecureServer, type Http2Server, type Http2Session } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext } from 'node:tls';
import type { Io } from './commands.js';
import { UsageError } from './errors.js';
import { watchFile } from './serve.js';

export interface ListenFlags {
  /** PEM certificate (chain) file: serve HTTPS, HTTP/2 by ALPN. */
  tlsCert?: string | undefined;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string | undefined;
  /** Cleartext HTTP/2 with prior knowledge (no HTTP/1.1 on that port). */
  h2c?: boolean | undefined;
  /** Re-read the certificate when its files change (default true; `--no-watch`). */
  watch?: boolean | undefined;
}

export interface GatewayListener {
  server: NetServer & { close(callback?: (err?: Error) => void): unknown };
  /** `http` or `https`. */
  scheme: 'http' | 'https';
  /** What the port speaks, for the start-up banner. */
  protocols: string;
  /** Stops watching the certificate files. */
  stopWatching(): void;
  /** Ends idle HTTP/1.1 keep-alive connections (HTTP/2 sessions are closed by `server.close`). */
  closeIdleConnections(): void;
  /** Ends every connection. */
  closeAllConnections(): void;
  /**
   * Closes every upgraded connection (WebSockets): they are long-lived and no longer counted
   * by the HTTP server, so a shutdown would otherwise wait for them.
   */
  closeUpgraded(): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * What an HTTP/2 server needs for a shutdown: `server.close()` only stops new sessions, so open
 * sessions are closed here (gracefully: GOAWAY, in-flight streams finish), and every socket
 * (HTTP/1.1-over-TLS ones too) can be destroyed when the grace period is over.
 */
function trackH2(server: Http2SecureServer | Http2Server): Pick<GatewayListener, 'closeIdleConnections' | 'closeAllConnections'> {
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    closeIdleConnections: () => {
      for (const s of sessions) s.close();
    },
    closeAllConnections: () => {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Checks the flags together: a clear usage error for each combination that cannot work. */
export function checkListenFlags(flags: ListenFlags): void {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError(`--tls-cert and --tls-key go together: give both (the certificate and its private key, PEM files), or neither for plain HTTP`);
  }
  if (flags.h2c === true && flags.tlsCert !== undefined) {
    throw new UsageError('--h2c is cleartext HTTP/2; with --tls-cert/--tls-key, HTTP/2 is already offered over TLS (ALPN): drop --h2c');
  }
}

/** Reads and checks a certificate and key pair (a mismatched or unreadable pair throws with the reason). */
async function loadPair(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = await readFile(certFile);
  } catch (e) {
    throw new UsageError(`--tls-cert ${certFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    key = await readFile(keyFile);
  } catch (e) {
    throw new UsageError(`--tls-key ${keyFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new UsageError(`--tls-cert ${certFile} / --tls-key ${keyFile}: not a usable PEM certificate and matching private key (${(e as Error).message})`);
  }
  return { cert, key };
}

/** Creates the server for `flags` (not yet listening). */
export async function createGatewayListener(flags: ListenFlags, handler: Handler, proxyUpgrade: UpgradeListener, io: Io): Promise<GatewayListener> {
  checkListenFlags(flags);
  const upgraded = new Set<Duplex>();
  const upgrade: UpgradeListener = (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    proxyUpgrade(req, socket, head);
  };
  const closeUpgraded = (): void => {
    for (const s of upgraded) s.destroy();
  };
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    const certFile = flags.tlsCert;
    const keyFile = flags.tlsKey;
    const pair = await loadPair(certFile, keyFile);
    // allowHTTP1: clients that do not offer h2 in ALPN (curl --http1.1, WebSocket clients) get
    // HTTP/1.1 on the same port, 'upgrade' events included.
    const server = createSecureServer({ ...pair, allowHTTP1: true }, handler as never);
    server.on('upgrade', upgrade);
    const watchers: FSWatcher[] = [];
    let reloading = false;
    const reload = async (): Promise<void> => {
      if (reloading) return;
      reloading = true;
      try {
        const next = await loadPair(certFile, keyFile);
        server.setSecureContext(next);
        io.out(`Reloaded the TLS certificate (${certFile}); new connections use it.`);
      } catch (e) {
        io.out(`TLS certificate reload failed; still serving the previous certificate:\n  ${(e as Error).message}`);
      } finally {
        reloading = false;
      }
    };
    if (flags.watch !== false) {
      watchers.push(watchFile(certFile, () => void reload()));
      if (keyFile !== certFile) watchers.push(watchFile(keyFile, () => void reload()));
    }
    return {
      server,
      scheme: 'https',
      protocols: 'HTTPS: HTTP/2 by ALPN, HTTP/1.1 and WebSockets',
      stopWatching: () => {
        for (const w of watchers) w.close();
      },
      ...trackH2(server),
      closeUpgraded,
    };
  }
  if (flags.h2c === true) {
    const server = createH2cServer(handler as never);
    return {
      server,
      scheme: 'http',
      protocols: 'h2c: cleartext HTTP/2 with prior knowledge only; no HTTP/1.1, no WebSockets',
      stopWatching: () => undefined,
      ...trackH2(server),
      closeUpgraded,
    };
  }
  const server = createHttpServer(handler);
  // WebSockets (any Upgrade): routed and proxied like requests; without this listener Node
  // would hand an upgrade to the request handler as a plain GET.
  server.on('upgrade', upgrade);
  return {
    server,
    scheme: 'http',
    protocols: 'HTTP/1.1 and WebSockets',
    stopWatching: () => undefined,
    closeIdleConnections: () => server.closeIdleConnections(),
    closeAllConnections: () => server.closeAllConnections(),
    closeUpgraded,
  };
}
