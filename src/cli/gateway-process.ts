/**
 * One process that serves requests: the gateway with its access log, and, when metrics are on
 * (an admin port), the OpenTelemetry SDK and the target-health board. A single-process
 * `serve` runs one; with `--workers N`, each cluster worker runs one.
 */
import type { Router } from '../match/types.js';
import { createHealthBoard } from '../telemetry/health-board.js';
import type { AccessLog } from './access-log.js';
import type { Snapshot } from './admin.js';
import type { Io } from './commands.js';
import { startGateway, type RunningGateway } from './gateway-server.js';
import { installMetrics, type LocalMetrics } from './metrics-sdk.js';
import type { ServeSettings } from './serve-settings.js';
import type { ListenFlags } from './listen.js';
import type { RateLimitStore } from '../policies/rate-limit/store.js';

export interface GatewayProcess {
  readonly gateway: RunningGateway;
  /** This process' metrics and target health (empty when metrics are off). */
  snapshot(): Promise<Snapshot>;
  /** Drains (in-flight requests finish, within the deadline), then flushes the log and stops metrics. */
  close(): Promise<void>;
}

export async function startGatewayProcess(opts: {
  router: () => Router;
  host: string;
  port: number | undefined;
  strictPort: boolean;
  settings: ServeSettings;
  log: AccessLog;
  io: Io;
  /** TLS, HTTP/2 and certificate reload (`--tls-cert`, `--tls-key`, `--h2c`). */
  listen?: ListenFlags;
  /** A shared rate-limit store (`--rate-limit-store redis://...`, docs/scale-out.md). */
  rateLimitStore?: RateLimitStore;
}): Promise<GatewayProcess> {
  const { settings } = opts;
  const metrics: LocalMetrics | null = settings.adminPort === undefined ? null : await installMetrics();
  const health = createHealthBoard();
  const gateway = await startGateway({
    router: opts.router,
    host: opts.host,
    port: opts.port,
    strictPort: opts.strictPort,
    io: opts.io,
    drainMs: settings.drainMs,
    ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
    proxy: {
      ...(opts.rateLimitStore !== undefined ? { rateLimitStore: opts.rateLimitStore } : {}),
      blockPrivateNetworks: settings.blockPrivateNetworks,
      exposeTargets: settings.exposeTargets,
      onRequest: opts.log.onRequest,
      events: health,
    },
  });
  return {
    gateway,
    async snapshot() {
      return { scopeMetrics: metrics === null ? [] : await metrics.collect(), health: health.list() };
    },
    async close() {
      await gateway.close();
      // Every line of the drained requests is written before the process may exit.
      await opts.log.drain();
      await metrics?.shutdown();
    },
  };
}
