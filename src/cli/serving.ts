/**
 * The serving side of `af-routes serve`, one process or a cluster: the gateway (or its
 * workers) and the admin server in front of whichever it is.
 */
import type { Router } from '../match/types.js';
import type { AccessLog } from './access-log.js';
import { startAdmin, type AdminSources, type RunningAdmin } from './admin.js';
import type { Io } from './commands.js';
import type { ListenFlags } from './listen.js';
import type { RateLimitStore } from '../policies/rate-limit/store.js';
import { startGatewayProcess } from './gateway-process.js';
import type { ServeSettings } from './serve-settings.js';
import { startCluster } from './workers.js';

export interface Serving {
  /** What the port speaks (HTTP/1.1; HTTPS with h2; h2c), when one process serves. */
  readonly protocols?: string | undefined;
  url: string;
  port: number;
  adminUrl: string | undefined;
  adminPort: number | undefined;
  /** A new table (already validated and compiled into the router the getter returns). */
  reload(routes: unknown): void;
  /** Not ready from now on; drain; then the admin server closes. */
  close(): Promise<void>;
}

export async function startServing(opts: {
  routes: unknown;
  router: () => Router;
  source: string;
  host: string;
  port: number | undefined;
  settings: ServeSettings;
  log: AccessLog;
  io: Io;
  /** TLS, HTTP/2 (single process; workers take theirs from the flags). */
  listen?: ListenFlags;
  rateLimitStore?: RateLimitStore;
}): Promise<Serving> {
  const { settings } = opts;
  let target: { url: string; port: number; protocols?: string; reload(routes: unknown): void; close(): Promise<void> };
  let sources: AdminSources;
  if (settings.workers > 1) {
    const c = await startCluster({ routes: opts.routes, host: opts.host, port: opts.port, settings, io: opts.io });
    target = c;
    sources = { collect: () => c.collect(), router: opts.router, source: opts.source, readiness: () => c.readiness() };
  } else {
    const proc = await startGatewayProcess({
      router: opts.router,
      host: opts.host,
      port: opts.port,
      strictPort: false,
      settings,
      log: opts.log,
      io: opts.io,
      ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
      ...(opts.rateLimitStore !== undefined ? { rateLimitStore: opts.rateLimitStore } : {}),
    });
    let draining = false;
    target = {
      url: proc.gateway.url,
      port: proc.gateway.port,
      protocols: proc.gateway.protocols,
      reload() {
        // The router getter already returns the new table; active health checks follow it now.
        proc.gateway.routerChanged();
      },
      close() {
        draining = true;
        return proc.close();
      },
    };
    sources = {
      collect: () => proc.snapshot(),
      router: opts.router,
      source: opts.source,
      readiness: () => ({ ready: !draining, state: draining ? 'draining' : 'ready', workers: { listening: draining ? 0 : 1, wanted: 1 } }),
    };
  }
  let admin: RunningAdmin | undefined;
  if (settings.adminPort !== undefined) {
    try {
      admin = await startAdmin({ host: settings.adminHost, port: settings.adminPort, sources, io: opts.io });
    } catch (e) {
      await target.close();
      throw e;
    }
  }
  return {
    url: target.url,
    port: target.port,
    protocols: target.protocols,
    adminUrl: admin?.url,
    adminPort: admin?.port,
    reload: (routes) => target.reload(routes),
    async close() {
      await target.close();
      await admin?.close();
    },
  };
}
