/**
 * `af-routes edit [<routes.json>]`: the route editor over a live gateway. The gateway is the
 * one `serve` runs (./gateway-server.ts); beside it, on 127.0.0.1 only, a small server hands
 * out the editor page, its bundle (dist/editor.bundle.js) and the table: GET with an ETag, PUT
 * with If-Match. A save is validated here too (a page is not trusted to have done it), written
 * atomically with the previous version kept as `<file>.bak` (./edit-store.ts), and served by
 * the gateway at once. A save over a version that changed since it was loaded (another tab, a
 * text editor) is refused with 412, never written over.
 *
 * The page also watches the gateway serve: GET /api/stats is the admin `/routes` document
 * (./admin-routes.ts: per-route counters, latency buckets, target health) of this gateway,
 * served by this same server, so the page's strict CSP (`connect-src 'self'`) and the Host and
 * Origin checks hold for it as for the table.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../match/router.js';
import type { Router } from '../match/types.js';
import { validateRoutes } from '../validate/validate.js';
import { matchOptions, type Io, type TableFlags } from './commands.js';
import { EDIT_PAGE_CSP, EDIT_PAGE_CSS, EDIT_PAGE_HTML, EDIT_PAGE_JS } from './edit-page.js';
import { RoutesFileStore } from './edit-store.js';
import { UsageError } from './errors.js';
import { formatIssue, formatTable, plural } from './format.js';
import { listenWithFallback, startGateway, urlOf, waitForSignal, type RunningGateway } from './gateway-server.js';
import { watchFile } from './serve.js';
import { isConfigFileName } from '../config/af-config.js';
import { createHealthBoard } from '../telemetry/health-board.js';
import { routesDocument } from './admin-routes.js';
import { installMetrics } from './metrics-sdk.js';

export interface EditFlags extends TableFlags {
  port?: number | undefined;
  host?: string;
  editorPort?: number | undefined;
}

export const DEFAULT_EDITOR_PORT = 8081;
/** A table larger than this is not a route table someone edits in a page. */
const MAX_BODY = 5 * 1024 * 1024;

/** dist/editor.bundle.js, found from dist/cli.js (built) or src/cli/edit.ts (tests with tsx). */
function findBundle(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    for (const candidate of [join(dir, 'editor.bundle.js'), join(dir, 'dist', 'editor.bundle.js')]) if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new UsageError('The editor bundle (dist/editor.bundle.js) is missing: build the package first (npm run build:ts)');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'too-large', `The table is larger than ${MAX_BODY / 1024 / 1024} MB`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Reads the file's table for the page: the parsed JSON, or why it cannot be parsed. */
function parseStored(text: string | null): { routes: unknown; problem?: string } {
  if (text === null) return { routes: null };
  try {
    return { routes: JSON.parse(text) as unknown };
  } catch (e) {
    return { routes: null, problem: `The file is not valid JSON (${(e as Error).message}); saving replaces it (the old one is kept as .bak)` };
  }
}

export async function runEdit(arg: string | undefined, flags: EditFlags, io: Io): Promise<number> {
  const file = resolve(arg ?? 'routes.json');
  if (isConfigFileName(file) || !file.endsWith('.json')) {
    throw new UsageError(`edit writes a JSON route table file (routes.json), not "${arg ?? file}": an af.config.* is code the editor cannot rewrite`);
  }
  if (!existsSync(dirname(file))) throw new UsageError(`No directory ${dirname(file)}: create it, or give a routes file in an existing one`);
  const bundle = readFileSync(findBundle());
  const store = new RoutesFileStore(file);
  const options = matchOptions(flags);

  const empty = (): Router => compile(null, options);
  /** Compiles what the file holds, or null (with the problems printed) when it cannot serve. */
  const routerFor = (routes: unknown, label: string): Router | null => {
    if (routes === null) return empty();
    const result = validateRoutes(routes, options);
    if (!result.valid) {
      io.out(`${label}: invalid (${plural(result.errors.length, 'error')}); fix it in the editor.`);
      io.out([...result.errors, ...result.warnings].map(formatIssue).join('\n\n'));
      return null;
    }
    return compile(routes as unknown, options);
  };

  const initial = await store.read();
  const parsed = parseStored(initial.text);
  if (parsed.problem !== undefined) io.out(`${file}: ${parsed.problem}`);
  let router = routerFor(parsed.routes, file) ?? empty();
  let servedKey = initial.etag;

  const describe = (r: Router) => (r.routes.length === 0 ? '  (no routes: every request is answered 404)' : formatTable(r.routes));
  io.out(`af-routes edit: ${file}, ${plural(router.routes.length, 'route')} served`);
  io.out(describe(router));

  // Metrics and target health for the page's live stats, as `serve --admin-port` collects them.
  const metrics = await installMetrics();
  const health = createHealthBoard();
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({ router: () => router, host: flags.host ?? '127.0.0.1', port: flags.port, io, proxy: { events: health } });
  } catch (e) {
    await metrics.shutdown();
    throw e;
  }

  /** Serves what is on disk now (after a save, or an edit made outside the editor). */
  const reload = async (reason: string): Promise<void> => {
    const now = await store.read();
    if (now.etag === servedKey) return;
    servedKey = now.etag;
    const { routes, problem } = parseStored(now.text);
    if (problem !== undefined) {
      io.out(`${reason}: ${problem}; still serving the previous ${plural(router.routes.length, 'route')}`);
      return;
    }
    const next = routerFor(routes, reason);
    if (next === null) {
      io.out(`Still serving the previous ${plural(router.routes.length, 'route')}.`);
      return;
    }
    router = next;
    // Active health checks (and the health shown in the page) follow the new table now.
    gateway.routerChanged();
    io.out(`${reason}: now serving ${plural(router.routes.length, 'route')}, in precedence order:`);
    io.out(describe(router));
  };

  let editorPort = 0;
  const editorHost = '127.0.0.1';
  const allowedHosts = () => new Set([`127.0.0.1:${editorPort}`, `localhost:${editorPort}`]);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Only this machine's browser, by this server's own name: a page on another site that
    // resolves its name to 127.0.0.1 (DNS rebinding) or posts here cross-origin is refused.
    if (!allowedHosts().has(req.headers.host ?? '')) throw new HttpError(403, 'wrong-host', 'The editor answers only at its own address (http://127.0.0.1:PORT)');
    const origin = req.headers.origin;
    if (origin !== undefined && !(origin === `http://127.0.0.1:${editorPort}` || origin === `http://localhost:${editorPort}`)) {
      throw new HttpError(403, 'cross-origin', `Requests from ${origin} are refused: only the editor's own page may change the table`);
    }
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const statics: Record<string, [string, string | Buffer]> = {
      '/': ['text/html; charset=utf-8', EDIT_PAGE_HTML],
      '/page.js': ['text/javascript; charset=utf-8', EDIT_PAGE_JS],
      '/page.css': ['text/css; charset=utf-8', EDIT_PAGE_CSS],
      '/editor.js': ['text/javascript; charset=utf-8', bundle],
    };
    const asset = statics[path ?? ''];
    if (asset !== undefined) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${method} is not allowed here`, { allow: 'GET, HEAD' });
      res.writeHead(200, { 'content-type': asset[0], 'cache-control': 'no-store', 'content-security-policy': EDIT_PAGE_CSP, 'x-content-type-options': 'nosniff' });
      res.end(method === 'HEAD' ? undefined : asset[1]);
      return;
    }
    if (path === '/api/stats') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on /api/stats`, { allow: 'GET, HEAD' });
      sendJson(res, 200, routesDocument(router, await metrics.collect(), health.list(), { source: file, gateway: gateway.url }));
      return;
    }
    if (path !== '/api/routes') throw new HttpError(404, 'not-found', `Nothing at ${path}`);
    if (method === 'GET') {
      const now = await store.read();
      const { routes, problem } = parseStored(now.text);
      sendJson(
        res,
        200,
        {
          file,
          exists: now.text !== null,
          routes,
          ...(problem !== undefined ? { problem } : {}),
          gateway: gateway.url,
          options: { caseInsensitive: !options.caseSensitive, ignoreTrailingSlash: options.ignoreTrailingSlash },
        },
        { etag: now.etag },
      );
      return;
    }
    if (method !== 'PUT') throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on /api/routes`, { allow: 'GET, PUT' });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'not-json', 'Send the table as application/json');
    const ifMatch = req.headers['if-match'];
    if (ifMatch === undefined || ifMatch === '')
      throw new HttpError(428, 'version-required', 'Send If-Match with the ETag of the version you loaded, so a newer version is never overwritten');
    const text = await readBody(req);
    let routes: unknown;
    try {
      routes = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, 'not-json', `The body is not valid JSON: ${(e as Error).message}`);
    }
    const result = validateRoutes(routes, options);
    if (!result.valid) {
      throw new HttpError(422, 'invalid-routes', `Not saved: the table has ${plural(result.errors.length, 'error')}. ${result.errors[0]!.message}`, {
        errors: result.errors,
        warnings: result.warnings,
      });
    }
    let written;
    try {
      written = await store.write(text.endsWith('\n') ? text : text + '\n', ifMatch);
    } catch (e) {
      throw new HttpError(500, 'write-failed', `Not saved: writing ${file} failed (${(e as Error).message}); the file is unchanged`);
    }
    if (!written.ok) {
      throw new HttpError(
        412,
        'stale-version',
        `Not saved: ${file} changed since this page loaded it (another tab or program saved it). Load the saved version to see it; your edits here were not written.`,
        { etag: written.etag },
      );
    }
    io.out(`Saved ${file} (previous version in ${store.backupFile}).`);
    await reload('Saved from the editor');
    sendJson(res, 200, { saved: true, file, etag: written.etag, routes: router.routes.length }, { etag: written.etag });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, 'internal', `Internal error: ${(e as Error).message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { allow, ...extra } = err.extra as { allow?: string };
      sendJson(res, err.status, { error: { code: err.code, message: err.message, ...extra } }, allow !== undefined ? { allow } : {});
    });
  });

  try {
    if (flags.editorPort !== undefined) editorPort = await listenWithFallback(server, editorHost, flags.editorPort, io, 'editor');
    else {
      // The default port, the next few if busy, then any free one (as the gateway does).
      editorPort = 0;
      for (const p of [...Array.from({ length: 10 }, (_, i) => DEFAULT_EDITOR_PORT + i), 0]) {
        if (p === gateway.port) continue;
        try {
          editorPort = await listenWithFallback(server, editorHost, p, io, 'editor');
          break;
        } catch (e) {
          if (!(e instanceof UsageError) || p === 0) throw e;
        }
      }
    }
  } catch (e) {
    await gateway.close();
    await metrics.shutdown();
    throw e;
  }

  const watcher = watchFile(file, () => void reload(`Reloaded ${file}`));
  io.out(`\nGateway: ${gateway.url}`);
  io.out(`Editor:  ${urlOf(editorHost, editorPort)}/  (open it in a browser)`);
  io.out('Ctrl+C to stop.\n');

  const signal = await waitForSignal(io);
  io.out(`\n${signal}: shutting down...`);
  watcher.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await gateway.close();
  await metrics.shutdown();
  io.out('Stopped.');
  return 0;
}
