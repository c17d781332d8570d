/** `af-routes serve`: a local gateway by a route table, reloaded when its file changes. */
import cluster from 'node:cluster';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { compile } from '../match/router.js';
import type { Router } from '../match/types.js';
import { validateRoutes } from '../validate/validate.js';
import { matchOptions, type Io, type TableFlags } from './commands.js';
import { formatIssue, formatTable, plural } from './format.js';
import { createAccessLog } from './access-log.js';
import { waitForSignal } from './gateway-server.js';
import { checkListenFlags, type ListenFlags } from './listen.js';
import { checkScaleOutFlags, openPostgresServeSource, openRateLimitStore, redactUrl, type ScaleOutFlags } from './scale-out.js';
import { startServing } from './serving.js';
import { serveSettings, type ServeSettingsFlags } from './serve-settings.js';
import { resolveSource, type RoutesSource } from './source.js';
import { runWorker } from './workers.js';

export interface ServeFlags extends TableFlags, ServeSettingsFlags, ScaleOutFlags, ListenFlags {
  port?: number | undefined;
  host?: string;
  watch?: boolean;
}

/** How long to wait for a burst of file events (an editor's save) to settle. */
const DEBOUNCE_MS = 150;

function describeTable(router: Router): string {
  if (router.routes.length === 0) return '  (no routes: every request is answered 404)';
  return formatTable(router.routes);
}

/**
 * Watches the directory of `file` (robust to editors that save by renaming) and calls
 * `onChange` once per burst of changes to that file.
 */
export function watchFile(file: string, onChange: () => void): FSWatcher {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dirname(file), { persistent: false }, (_event, filename) => {
    if (filename !== null && filename !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  });
  watcher.on('close', () => clearTimeout(timer));
  return watcher;
}

/** Loads a table for a reload: the router, or the problems to print. */
async function tryLoad(
  source: Pick<RoutesSource, 'load'>,
  flags: TableFlags,
): Promise<{ ok: true; router: Router; routes: unknown; key: string } | { ok: false; report: string; key: string }> {
  let routes: unknown;
  try {
    routes = await source.load();
  } catch (e) {
    const message = (e as Error).message;
    return { ok: false, report: `  ${message.split('\n').join('\n  ')}`, key: 'error:' + message };
  }
  const key = JSON.stringify(routes) ?? 'undefined';
  const options = matchOptions(flags);
  const result = validateRoutes(routes, options);
  if (!result.valid) {
    return { ok: false, report: [...result.errors, ...result.warnings].map(formatIssue).join('\n\n'), key };
  }
  return { ok: true, router: compile((routes ?? null) as unknown, options), routes: routes ?? null, key };
}

export async function runServe(arg: string | undefined, flags: ServeFlags, io: Io): Promise<number> {
  checkListenFlags(flags);
  checkScaleOutFlags(arg, flags);
  const settings = serveSettings(flags);
  // A cluster worker (--workers N) gets its table from the primary (./workers.ts).
  if (cluster.isWorker) return runWorker(flags, settings, io);
  const log = await createAccessLog(settings.accessLog, io);
  // In JSON mode the command's own messages are JSON lines too.
  io = log.io;
  // --routes-from: the function's row in Postgres, followed by LISTEN/NOTIFY (docs/scale-out.md).
  const pgSource = flags.routesFrom !== undefined ? await openPostgresServeSource(flags, (m) => io.err(m)) : undefined;
  const source = pgSource ?? (await resolveSource(arg, flags.function));
  const routes = await source.load();
  const options = matchOptions(flags);
  const result = validateRoutes(routes, options);
  if (!result.valid) {
    io.err(`${source.label}: invalid (${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')}); not serving\n`);
    io.err([...result.errors, ...result.warnings].map(formatIssue).join('\n\n'));
    await pgSource?.close();
    return 1;
  }
  // --rate-limit-store: buckets shared by every instance (every route's rateLimit counts there;
  // when the store fails, the stage fails open and counts routing.rate_limit.store_errors).
  const rateLimitStore = flags.rateLimitStore !== undefined ? await openRateLimitStore(flags.rateLimitStore, (m) => io.err(m)) : undefined;
  let router = compile((routes ?? null) as unknown, options);
  let lastKey = JSON.stringify(routes) ?? 'undefined';
  io.out(`af-routes serve: ${source.label}, ${plural(router.routes.length, 'route')} (${router.backend} matcher)`);
  io.out('Routes in precedence order:');
  io.out(describeTable(router));
  if (router.warnings.length) io.out('\n' + router.warnings.map(formatIssue).join('\n\n'));

  const host = flags.host ?? '127.0.0.1';
  const listen = { tlsCert: flags.tlsCert, tlsKey: flags.tlsKey, h2c: flags.h2c, watch: flags.watch };
  const serving = await startServing({
    routes: routes ?? null,
    router: () => router,
    source: source.label,
    host,
    port: flags.port,
    settings,
    log,
    io,
    listen,
    ...(rateLimitStore !== undefined ? { rateLimitStore } : {}),
  });
  io.out(
    `\nListening on ${serving.url}${serving.protocols !== undefined ? ` (${serving.protocols})` : ''}${settings.workers > 1 ? ` (${settings.workers} workers)` : ''}${settings.production ? ', production mode' : ''}`,
  );
  if (serving.adminUrl !== undefined) io.out(`Admin endpoints on ${serving.adminUrl} (/metrics, /routes, /healthz, /readyz)`);
  if (rateLimitStore !== undefined) io.out(`Rate limits shared in Redis at ${redactUrl(flags.rateLimitStore!)}`);

  let watcher: FSWatcher | undefined;
  if ((source.file !== undefined || pgSource !== undefined) && flags.watch !== false) {
    let running = false;
    let again = false;
    const reload = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const next = await tryLoad(source, flags);
        if (next.key !== lastKey) {
          lastKey = next.key;
          if (next.ok) {
            router = next.router;
            serving.reload(next.routes);
            io.out(`Reloaded ${source.label}: ${plural(router.routes.length, 'route')}, in precedence order:`);
            io.out(describeTable(router));
            if (router.warnings.length) io.out(router.warnings.map(formatIssue).join('\n\n'));
          } else {
            io.out(`Reload of ${source.label} failed; still serving the previous ${plural(router.routes.length, 'route')}:`);
            io.out(next.report);
          }
        }
      } finally {
        running = false;
        if (again) {
          again = false;
          void reload();
        }
      }
    };
    if (pgSource !== undefined) {
      pgSource.watch(() => void reload());
      io.out(`Following ${source.label} (LISTEN/NOTIFY).`);
    } else {
      watcher = watchFile(source.file!, () => void reload());
      io.out(`Watching ${source.label} for changes.`);
    }
    // SIGHUP reloads at once too (deploy tooling that signals rather than waits for the watcher).
    process.on('SIGHUP', () => void reload());
  }
  io.out('Ctrl+C to stop.\n');

  const signal = await waitForSignal(io);
  io.out(`\n${signal}: shutting down (in-flight requests get up to ${settings.drainMs / 1000} s)...`);
  watcher?.close();
  await pgSource?.close();
  await serving.close();
  await rateLimitStore?.close();
  io.out('Stopped.');
  await log.drain();
  return 0;
}
