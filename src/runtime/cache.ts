/**
 * Compiled routers cached per function (SPEC section 9): a TTL, a size bound (least recently
 * used out first), one load for concurrent misses, the last good table kept when the loader
 * fails, and an invalid table reported once per load and served as "no routes". Pure: runs in
 * sandboxes and enclaves.
 */
import type { Router } from '../match/types.js';
import { compile } from '../match/router.js';
import type { CompileOptions } from '../options.js';
import { RoutesValidationError } from '../validate/issues.js';

/** What the host's loader may return for a function: its route table, or null/undefined (none). */
export type LoadedRoutes = unknown;

export interface RouterCacheOptions {
  /**
   * Loads a function's route table as stored (an object, a JSON string, or null/undefined for
   * "no routes"), or a Promise of it. Called once per miss, however many requests wait for it.
   * May throw/reject.
   */
  loadRoutes: (functionId: string) => LoadedRoutes;
  /** How long a loaded table is served before it is loaded again (ms). Default 30,000. */
  ttlMs?: number;
  /** Most functions cached; the least recently used goes first. Default 1,000. */
  maxEntries?: number;
  /** After a failed load, how long the last good table (or none) serves before retrying (ms). Default min(ttlMs, 5,000). */
  retryMs?: number;
  /** A load that takes longer counts as failed (ms). Default 10,000. */
  loadTimeoutMs?: number;
  /** Compile options for every table (backend `auto` by default: native when it loads). */
  compileOptions?: CompileOptions;
  /** A table failed validation: the function's own code runs until it is fixed. Default: console.warn. */
  onInvalidRoutes?: (functionId: string, error: RoutesValidationError) => void;
  /** The loader failed or timed out: the last good table keeps serving. Default: console.warn. */
  onLoadError?: (functionId: string, error: unknown) => void;
  /** The clock (ms), for tests. Default `Date.now`. */
  now?: () => number;
}

export interface RouterCacheStats {
  /** Functions cached. */
  size: number;
  hits: number;
  misses: number;
  /** Loader calls. */
  loads: number;
  loadErrors: number;
  invalidTables: number;
  evictions: number;
}

interface Entry {
  router: Router | null;
  expiresAt: number;
  /** Bumped by `invalidate`: a load started before it does not count as fresh. */
  generation: number;
  loading: Promise<Router | null> | null;
  loadingGeneration: number;
  /** Sequence of the newest load started / applied, so an older load never overwrites a newer one. */
  started: number;
  applied: number;
}

class LoadTimeoutError extends Error {
  readonly code = 'ERR_LOAD_TIMEOUT';
  constructor(ms: number) {
    super(`Loading the routes took longer than ${ms} ms`);
    this.name = 'LoadTimeoutError';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0) || ms === Infinity) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A stored table: an object, or JSON text of one. */
function parseStored(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new RoutesValidationError([
      {
        code: 'routes-not-object',
        severity: 'error',
        message: 'Routes must be an object mapping path patterns to target URLs',
        hint: `The stored routes are not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
}

export class RouterCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly retryMs: number;
  private readonly loadTimeoutMs: number;
  private readonly now: () => number;
  private readonly counters = { hits: 0, misses: 0, loads: 0, loadErrors: 0, invalidTables: 0, evictions: 0 };

  /** `onDrop`: a function left the cache (evicted, or cleared): its upstream state can go (SPEC 11 timers). */
  constructor(
    private readonly options: RouterCacheOptions,
    private readonly onDrop?: (functionId: string) => void,
  ) {
    if (typeof options.loadRoutes !== 'function') throw new TypeError('loadRoutes must be a function');
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 1_000);
    this.retryMs = options.retryMs ?? Math.min(this.ttlMs, 5_000);
    this.loadTimeoutMs = options.loadTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The function's router (null: no routes, or an invalid table). A fresh entry answers
   * synchronously; otherwise the returned promise never rejects.
   */
  get(functionId: string): Router | null | Promise<Router | null> {
    const entry = this.entries.get(functionId);
    if (entry !== undefined) {
      // Most recently used goes last.
      this.entries.delete(functionId);
      this.entries.set(functionId, entry);
      if (this.now() < entry.expiresAt) {
        this.counters.hits++;
        return entry.router;
      }
      this.counters.misses++;
      if (entry.loading !== null && entry.loadingGeneration === entry.generation) return entry.loading;
      return this.load(functionId, entry);
    }
    this.counters.misses++;
    const fresh: Entry = { router: null, expiresAt: 0, generation: 0, loading: null, loadingGeneration: -1, started: 0, applied: 0 };
    this.entries.set(functionId, fresh);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counters.evictions++;
      this.onDrop?.(oldest);
    }
    return this.load(functionId, fresh);
  }

  /**
   * The function's table changed: the next request loads it again. The current table keeps
   * serving if that load fails.
   */
  invalidate(functionId: string): void {
    const entry = this.entries.get(functionId);
    if (entry === undefined) return;
    entry.generation++;
    entry.expiresAt = 0;
  }

  /** Forgets every function (including last good tables). */
  clear(): void {
    const ids = [...this.entries.keys()];
    this.entries.clear();
    if (this.onDrop) for (const id of ids) this.onDrop(id);
  }

  stats(): RouterCacheStats {
    return { size: this.entries.size, ...this.counters };
  }

  private load(functionId: string, entry: Entry): Promise<Router | null> {
    const generation = entry.generation;
    const seq = ++entry.started;
    this.counters.loads++;
    const apply = (router: Router | null, ttl: number): Router | null => {
      if (seq < entry.applied) return entry.router; // a newer load already answered
      entry.applied = seq;
      // A function that no longer routes (its table became invalid or empty) lets go of its
      // upstream state now (active checks stop), not only when its entry is evicted.
      if (router === null && entry.router !== null) this.onDrop?.(functionId);
      entry.router = router;
      entry.expiresAt = generation === entry.generation ? this.now() + ttl : 0;
      return router;
    };
    const promise = (async (): Promise<Router | null> => {
      let raw: unknown;
      try {
        raw = await withTimeout(
          Promise.resolve().then(() => this.options.loadRoutes(functionId)),
          this.loadTimeoutMs,
        );
      } catch (err) {
        this.counters.loadErrors++;
        this.report('load', functionId, err);
        // Keep serving what we had (the last good table, or none), and retry after retryMs.
        return apply(entry.router, this.retryMs);
      }
      try {
        const table = parseStored(raw);
        return apply(table === null || table === undefined ? null : compile(table as unknown, this.options.compileOptions), this.ttlMs);
      } catch (err) {
        if (err instanceof RoutesValidationError) {
          this.counters.invalidTables++;
          this.report('invalid', functionId, err);
          return apply(null, this.ttlMs);
        }
        // Not the table's fault (e.g. a required backend missing): like a failed load.
        this.counters.loadErrors++;
        this.report('load', functionId, err);
        return apply(entry.router, this.retryMs);
      }
    })();
    entry.loading = promise;
    entry.loadingGeneration = generation;
    void promise.then(() => {
      if (entry.loading === promise) entry.loading = null;
    });
    return promise;
  }

  private report(kind: 'load' | 'invalid', functionId: string, err: unknown): void {
    try {
      if (kind === 'invalid') {
        const hook = this.options.onInvalidRoutes;
        if (hook) hook(functionId, err as RoutesValidationError);
        else console.warn(`[routing-core] function ${functionId}: invalid routes, its own code runs: ${(err as Error).message}`);
      } else {
        const hook = this.options.onLoadError;
        if (hook) hook(functionId, err);
        else console.warn(`[routing-core] function ${functionId}: loading routes failed, the last good table keeps serving: ${err instanceof Error ? err.message : String(err)}`);
      }
    } catch {
      // A reporting hook never breaks routing.
    }
  }
}
