/**
 * `af-routes serve --workers N`: N processes sharing the gateway's port through `node:cluster`
 * (the primary accepts connections and hands them out round-robin). The primary owns the
 * table: it loads and validates it, sends it to every worker (and to a replacement), sends
 * every successful reload to all of them, replaces a worker that dies, serves the admin
 * endpoints with the workers' metrics summed over IPC, and on SIGTERM tells every worker to
 * drain. Workers run the same command line; `cluster.isWorker` sends them to `runWorker`.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { compile } from '../match/router.js';
import type { TargetHealth } from '../telemetry/health-board.js';
import { createAccessLog } from './access-log.js';
import type { Snapshot } from './admin.js';
import { matchOptions, type Io, type TableFlags } from './commands.js';
import { UsageError } from './errors.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { DEFAULT_PORT } from './gateway-server.js';
import { mergeScopeMetrics } from './metrics-merge.js';
import type { ServeSettings } from './serve-settings.js';

/** Primary to worker. */
type ToWorker = { af: 'table'; routes: unknown } | { af: 'collect'; id: number } | { af: 'drain' };
/** Worker to primary. */
type ToPrimary =
  | { af: 'hello' }
  | { af: 'listening'; port: number }
  | { af: 'snapshot'; id: number; snapshot: Snapshot }
  | { af: 'fatal'; message: string }
  | { af: 'table-error'; message: string };

/** How long a scrape waits for the workers' metrics. */
const COLLECT_TIMEOUT_MS = 1_000;
/** How long the first workers get to start listening. */
const START_TIMEOUT_MS = 30_000;

function isMessage(m: unknown): m is { af: string } {
  return typeof m === 'object' && m !== null && typeof (m as { af?: unknown }).af === 'string';
}

/** A cluster worker: waits for the table, serves it, answers metric requests, drains when told. */
export async function runWorker(flags: TableFlags & { host?: string; port?: number | undefined }, settings: ServeSettings, io: Io): Promise<number> {
  // Every worker writes to the same stdout: writes small enough to stay whole on a pipe.
  const log = await createAccessLog(settings.accessLog, io, { sharedStdout: true });
  const send = (m: ToPrimary) => {
    if (process.connected) process.send!(m);
  };
  let router: ReturnType<typeof compile> | null = null;
  let proc: GatewayProcess | null = null;
  let draining: Promise<never> | null = null;
  const drain = () =>
    (draining ??= (async () => {
      await proc?.close();
      // process.exit ends the process at once: the lines still being written must land first.
      await log.drain();
      process.exit(0);
    })());
  let gotTable: () => void;
  const firstTable = new Promise<void>((resolve) => (gotTable = resolve));
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.af === 'table') {
      try {
        router = compile(msg.routes as never, matchOptions(flags));
        gotTable();
      } catch (e) {
        // The primary validated it with the same options; say so rather than serve nothing.
        send({ af: 'table-error', message: (e as Error).message });
      }
    } else if (msg.af === 'collect') {
      const empty: Snapshot = { scopeMetrics: [], health: [] };
      void (proc?.snapshot() ?? Promise.resolve(empty)).then(
        (snapshot) => send({ af: 'snapshot', id: msg.id, snapshot }),
        () => send({ af: 'snapshot', id: msg.id, snapshot: empty }),
      );
    } else if (msg.af === 'drain') {
      void drain();
    }
  });
  // The whole process group gets a terminal's Ctrl+C; a worker whose primary is gone stops too.
  process.on('SIGINT', () => void drain());
  process.on('SIGTERM', () => void drain());
  process.on('disconnect', () => void drain());
  // Messages that arrive before a listener exists are dropped: ask for the table only now.
  send({ af: 'hello' });
  await firstTable;
  try {
    proc = await startGatewayProcess({ router: () => router!, host: flags.host ?? '127.0.0.1', port: flags.port ?? DEFAULT_PORT, strictPort: true, settings, log, io: log.io });
  } catch (e) {
    send({ af: 'fatal', message: (e as Error).message });
    process.exit(2);
  }
  send({ af: 'listening', port: proc.gateway.port });
  return new Promise<number>(() => {
    // A worker ends through drain() and process.exit.
  });
}

export interface RunningCluster {
  url: string;
  port: number;
  /** Sends a new table to every worker (and to later replacements). */
  reload(routes: unknown): void;
  collect(): Promise<Snapshot>;
  readiness(): { ready: boolean; state: string; workers: { listening: number; wanted: number; pids: number[] } };
  /** Tells every worker to drain and waits for them (the deadline plus a margin, then SIGKILL). */
  close(): Promise<void>;
}

/** Starts `settings.workers` workers and resolves once they all listen. */
export async function startCluster(opts: { routes: unknown; host: string; port: number | undefined; settings: ServeSettings; io: Io }): Promise<RunningCluster> {
  const { settings, io } = opts;
  let table = opts.routes;
  let state: 'starting' | 'ready' | 'draining' = 'starting';
  const listening = new Map<number, number>();
  const pending = new Map<number, { left: Set<number>; parts: Snapshot[]; done: () => void }>();
  let nextId = 1;
  let recentCrashes: number[] = [];
  let fatal: ((message: string) => void) | null = null;
  let allListening: (() => void) | null = null;

  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (!isMessage(m)) return;
      const msg = m as ToPrimary;
      if (msg.af === 'hello') {
        send(worker, { af: 'table', routes: table });
      } else if (msg.af === 'listening') {
        listening.set(worker.id, msg.port);
        if (listening.size >= settings.workers && allListening !== null) allListening();
      } else if (msg.af === 'snapshot') {
        const p = pending.get(msg.id);
        if (p === undefined) return;
        p.parts.push(msg.snapshot);
        p.left.delete(worker.id);
        if (p.left.size === 0) p.done();
      } else if (msg.af === 'fatal') {
        fatal?.(msg.message);
      } else if (msg.af === 'table-error') {
        io.err(`worker ${worker.process.pid}: could not compile the table: ${msg.message}`);
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    for (const p of pending.values()) {
      p.left.delete(worker.id);
      if (p.left.size === 0) p.done();
    }
    if (state === 'draining') return;
    const now = Date.now();
    recentCrashes = recentCrashes.filter((t) => now - t < 10_000);
    recentCrashes.push(now);
    // A worker that dies at once, again and again, is not restarted in a tight loop.
    const delay = recentCrashes.length > settings.workers * 2 ? 1_000 : 0;
    io.err(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a replacement${delay ? ' in 1 s' : ''}`);
    setTimeout(() => {
      if (state !== 'draining') fork();
    }, delay);
  });

  const started = new Promise<void>((resolve, reject) => {
    allListening = resolve;
    fatal = (message) => reject(new UsageError(message));
    setTimeout(() => reject(new Error(`the workers did not start listening within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS).unref();
  });
  for (let i = 0; i < settings.workers; i++) fork();
  try {
    await started;
  } catch (e) {
    state = 'draining';
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    throw e;
  }
  // From here a worker's fatal error (its replacement cannot listen) is reported, not thrown.
  fatal = (message) => io.err(`a worker could not start: ${message}`);
  allListening = null;
  state = 'ready';
  const port = [...listening.values()][0]!;
  const h = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    url: `http://${h}:${port}`,
    port,
    reload(routes) {
      table = routes;
      for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { af: 'table', routes });
    },
    collect() {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && listening.has(w.id));
      const id = nextId++;
      return new Promise<Snapshot>((resolve) => {
        const parts: Snapshot[] = [];
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          pending.delete(id);
          resolve({ scopeMetrics: mergeScopeMetrics(parts.map((p) => p.scopeMetrics as ScopeMetrics[])), health: parts.flatMap((p) => p.health as TargetHealth[]) });
        };
        pending.set(id, { left: new Set(workers.map((w) => w.id)), parts, done });
        // A worker that does not answer in time is left out of this scrape.
        const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
        if (workers.length === 0) return done();
        for (const w of workers) send(w, { af: 'collect', id });
      });
    },
    readiness: () => ({
      ready: state === 'ready' && listening.size >= settings.workers,
      state: state === 'ready' && listening.size < settings.workers ? 'starting' : state,
      workers: {
        listening: listening.size,
        wanted: settings.workers,
        pids: Object.values(cluster.workers ?? {})
          .filter((w): w is Worker => w !== undefined && listening.has(w.id))
          .map((w) => w.process.pid!),
      },
    }),
    async close() {
      state = 'draining';
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const exited = Promise.all(workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve())))));
      for (const w of workers) send(w, { af: 'drain' });
      const deadline = setTimeout(() => {
        for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      }, settings.drainMs + 3_000);
      await exited;
      clearTimeout(deadline);
    },
  };
}
