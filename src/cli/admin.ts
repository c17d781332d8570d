/**
 * The admin server of `af-routes serve --admin-port`: a separate listener (127.0.0.1 by
 * default, never the proxy's port) for operators and scrapers:
 *   GET /metrics  Prometheus text (format 0.0.4) of every worker's metrics, summed
 *   GET /routes   the active table in precedence order with per-route counters and health (JSON)
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 when every worker listens with a table; 503 before that and while draining
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Router } from '../match/types.js';
import type { TargetHealth } from '../telemetry/health-board.js';
import { routesDocument } from './admin-routes.js';
import type { Io } from './commands.js';
import { listenWithFallback, urlOf } from './gateway-server.js';
import { prometheusText } from './metrics-sdk.js';

export interface Snapshot {
  scopeMetrics: ScopeMetrics[];
  health: TargetHealth[];
}

export interface Readiness {
  ready: boolean;
  /** `starting`, `ready` or `draining`. */
  state: string;
  /** Worker processes listening now (their pids, in cluster mode) and how many are wanted. */
  workers: { listening: number; wanted: number; pids?: number[] };
}

/** What the admin server reads; the single process and the cluster's primary each provide it. */
export interface AdminSources {
  /** Metrics and target health of every worker (summed). */
  collect(): Promise<Snapshot>;
  router(): Router;
  /** Where the table came from (shown in `/routes`). */
  source: string;
  readiness(): Readiness;
}

export interface RunningAdmin {
  url: string;
  port: number;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function answer(req: IncomingMessage, res: ServerResponse, sources: AdminSources): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return json(res, 405, { error: 'method-not-allowed', message: 'The admin endpoints answer GET and HEAD' });
  }
  switch (path) {
    case '/healthz':
      return json(res, 200, { status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
    case '/readyz': {
      const r = sources.readiness();
      return json(res, r.ready ? 200 : 503, { status: r.state, workers: r.workers });
    }
    case '/metrics': {
      const { scopeMetrics } = await sources.collect();
      const text = await prometheusText(scopeMetrics);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    case '/routes': {
      const { scopeMetrics, health } = await sources.collect();
      return json(res, 200, routesDocument(sources.router(), scopeMetrics, health, { source: sources.source }));
    }
    default:
      return json(res, 404, { error: 'not-found', message: `No admin endpoint ${path}: try /metrics, /routes, /healthz or /readyz` });
  }
}

export async function startAdmin(opts: { host: string; port: number; sources: AdminSources; io: Io }): Promise<RunningAdmin> {
  const server = createServer((req, res) => {
    answer(req, res, opts.sources).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'admin-error', message: (e as Error).message });
      else res.destroy();
    });
  });
  const port = await listenWithFallback(server, opts.host, opts.port, opts.io, 'admin server');
  return {
    url: urlOf(opts.host, port),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
