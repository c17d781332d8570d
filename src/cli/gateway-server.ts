/**
 * The HTTP side of `serve` and `demo`: a Node server around the proxy's gateway, listening
 * with a fallback port, one access-log line per request, graceful shutdown on a signal.
 */
import type { AddressInfo, Server } from 'node:net';
import type { Router } from '../match/types.js';
import { createGateway, type AccessLogEntry, type GatewayOptions } from '../proxy/index.js';
import type { RoutingEvent } from '../telemetry/events.js';
import { teeEvents } from '../telemetry/tee.js';
import type { Io } from './commands.js';
import { UsageError } from './errors.js';
import { createGatewayListener, type ListenFlags } from './listen.js';

export const DEFAULT_PORT = 8080;
/** How long in-flight requests get to finish after a shutdown signal. */
const DRAIN_MS = 5_000;

function time(): string {
  return new Date().toTimeString().slice(0, 8);
}

/**
 * One access-log line. `showTarget`: the route has several targets, so the line names the one
 * chosen; the attempts show whenever a request was retried.
 */
export function formatAccessLog(entry: AccessLogEntry, showTarget = false): string {
  const ms = entry.ms < 10 ? entry.ms.toFixed(1) : String(Math.round(entry.ms));
  const upstream = entry.upstreamStatus === undefined ? '-' : String(entry.upstreamStatus);
  const error = entry.error ? ` error=${entry.error}` : '';
  const target = entry.target !== undefined && (showTarget || (entry.attempts ?? 1) > 1) ? ` target=${entry.target}` : '';
  const attempts = (entry.attempts ?? 1) > 1 ? ` attempts=${entry.attempts}` : '';
  return `${time()} ${entry.method} ${entry.path} -> ${entry.route ?? '(no route)'} ${entry.status} upstream=${upstream} ${ms}ms${target}${attempts}${error}`;
}

/** A target's health changed (SPEC 11): one line for `serve`, or null for events it does not print. */
export function formatUpstreamEvent(event: RoutingEvent): string | null {
  if (event.type === 'ejection') return `${time()} upstream ${event.target} of ${event.route}: ejected for ${Math.round(event.forMs / 1000)}s after consecutive failures`;
  if (event.type === 'health') return `${time()} upstream ${event.target} of ${event.route}: ${event.healthy ? 'healthy' : 'unhealthy'} (${event.source} check)`;
  return null;
}

/** Patterns of routes with a variant of several targets (their log lines name the target). */
const multiTarget = new WeakMap<Router, Set<string>>();
function multiTargetPatterns(router: Router): Set<string> {
  let set = multiTarget.get(router);
  if (set === undefined) {
    set = new Set(router.routes.filter((r) => r.variants.some((v) => v.targets.length > 1)).map((r) => r.pattern));
    multiTarget.set(router, set);
  }
  return set;
}

function listenOnce(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Listens on `port`; when it is busy and was not given explicitly, tries the next few ports,
 * then any free one. Returns the port listened on.
 */
export async function listenWithFallback(server: Server, host: string, port: number | undefined, io: Io, what = 'gateway'): Promise<number> {
  const wanted = port ?? DEFAULT_PORT;
  const tries = port === undefined ? [wanted, ...Array.from({ length: 9 }, (_, i) => wanted + 1 + i), 0] : [wanted];
  for (const p of tries) {
    try {
      const actual = await listenOnce(server, p, host);
      if (actual !== wanted && wanted !== 0) io.out(`Port ${wanted} is busy; the ${what} uses port ${actual} instead.`);
      return actual;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && port === undefined) continue;
      if (code === 'EADDRINUSE') throw new UsageError(`Port ${p} on ${host} is in use: pick another with --port, or --port 0 for any free port`);
      throw new UsageError(`Cannot listen on ${host}:${p}: ${(e as Error).message}`);
    }
  }
  throw new UsageError(`No free port found on ${host}`);
}

export function urlOf(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** The table changed (a reload): active health checks follow it now rather than at the next request. */
  routerChanged(): void;
  /** What the port speaks (HTTP/1.1; HTTPS with h2 and HTTP/1.1; h2c). */
  protocols: string;
  /** Stops accepting, lets in-flight requests finish (bounded), closes upstream pools. */
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  router: () => Router;
  host: string;
  port: number | undefined;
  io: Io;
  /** Overrides of the local-development defaults (`af-routes serve --production`, `--access-log`). */
  proxy?: Partial<Omit<GatewayOptions, 'router'>>;
  /** How long in-flight requests get on close (default 5,000 ms). */
  drainMs?: number;
  /** No fallback to another port when `port` is undefined (a cluster worker: the port is shared). */
  strictPort?: boolean;
  /** TLS, HTTP/2 and certificate reload (`--tls-cert`, `--tls-key`, `--h2c`). */
  listen?: ListenFlags;
}

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const gateway = createGateway({
    router: opts.router,
    // Local development: targets on loopback/private networks are the point.
    blockPrivateNetworks: false,
    // Local development: error bodies may name the target, to help debugging.
    exposeTargets: true,
    onRequest: (entry) => opts.io.out(formatAccessLog(entry, entry.route !== null && multiTargetPatterns(opts.router()).has(entry.route))),
    ...opts.proxy,
    // Target health changes are printed, and reach the host's sink (the admin health board) too.
    events: teeEvents(
      {
        emit: (event) => {
          const line = formatUpstreamEvent(event);
          if (line !== null) opts.io.out(line);
        },
      },
      opts.proxy?.events,
    ),
  });
  gateway.upstreams.attach(opts.router());
  const drainMs = opts.drainMs ?? DRAIN_MS;
  let draining = false;
  // While draining, requests that arrive on open keep-alive connections are still served,
  // then their connection is closed: clients reconnect elsewhere.
  const handler: typeof gateway.handler = (req, res) => {
    if (draining) res.setHeader('connection', 'close');
    gateway.handler(req, res);
  };
  let listener;
  try {
    listener = await createGatewayListener(opts.listen ?? {}, handler, gateway.upgrade, opts.io);
  } catch (e) {
    await gateway.close();
    throw e;
  }
  const server = listener.server;
  let port: number;
  try {
    port = await listenWithFallback(server, opts.host, opts.strictPort ? (opts.port ?? DEFAULT_PORT) : opts.port, opts.io);
  } catch (e) {
    listener.stopWatching();
    await gateway.close();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    url: urlOf(opts.host, port, listener.scheme),
    port,
    routerChanged: () => gateway.upstreams.attach(opts.router()),
    protocols: listener.protocols,
    close() {
      closing ??= (async () => {
        draining = true;
        listener.stopWatching();
        // No new connections from here; idle keep-alive ones close now, busy ones after their response.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        listener.closeIdleConnections();
        listener.closeUpgraded();
        // Connections that finish their response later become idle: close them as they do.
        const sweep = setInterval(() => listener.closeIdleConnections(), 50);
        const force = setTimeout(() => listener.closeAllConnections(), drainMs);
        await closed;
        clearInterval(sweep);
        clearTimeout(force);
        await gateway.close(1_000);
      })();
      return closing;
    },
  };
}

/** Resolves with the name of the first SIGINT/SIGTERM; a second one forces exit 130. */
export function waitForSignal(io: Io): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        io.err(`${signal} again: exiting now`);
        process.exit(130);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
