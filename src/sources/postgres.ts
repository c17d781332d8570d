/**
 * `createPostgresRouteSource`: function route tables read from Postgres (the platform's own
 * `"AFFunction".routes` by default), and kept fresh on every instance by LISTEN/NOTIFY: the
 * migration (./migration.ts) makes Postgres notify the function's id whenever its routes change,
 * and each instance's source invalidates that function in the runtime routers attached to it.
 *
 * Guarantees: an update is seen by the next request after its NOTIFY arrives (well under a
 * second); while the LISTEN connection is down, the runtime's TTL bounds staleness, and once it
 * is back every table loaded so far is invalidated (notifications sent meanwhile are lost).
 */
import type { MatchOptions } from '../options.js';
import { RoutesValidationError } from '../validate/issues.js';
import { validateRoutes } from '../validate/validate.js';
import { sqlIdentifier } from './identifiers.js';
import { PgListener } from './listener.js';
import { DEFAULT_CHANNEL, DEFAULT_ID_COLUMN, DEFAULT_ROUTES_COLUMN, DEFAULT_TABLE } from './migration.js';
import { createOwnPool, type PgPoolLike } from './pg-types.js';

/** What the source invalidates: a runtime router (`createRuntimeRouter`, `createNodeRuntimeRouter`) fits. */
export interface InvalidationTarget {
  invalidate(functionId: string): void;
}

export interface PostgresRouteSourceOptions {
  /** A node-postgres `Pool` (the source holds one of its connections for LISTEN). Or: */
  pool?: PgPoolLike;
  /** `postgres://user:password@host:port/db`: the source makes (and closes) its own pool. */
  connectionString?: string;
  /** The table, as SQL. Default `"AFFunction"` (the platform's Prisma model). */
  table?: string;
  /** The id column, as SQL. Default `id`. */
  idColumn?: string;
  /** The routes column (jsonb, json, or text holding JSON), as SQL. Default `routes`. */
  routesColumn?: string;
  /**
   * The whole query instead of table and columns: `$1` is the function id, the first row's
   * `routes` column the table (e.g. a join, or a view). The migration's trigger must still notify
   * the channel with the function id when the result changes.
   */
  query?: string;
  /** The NOTIFY channel (as in the migration). Default `af_routes_changed`. */
  channel?: string;
  /**
   * A stored table that fails validation is refused by the loader (a `RoutesValidationError`),
   * so the runtime keeps serving the last good table and reports the error through its
   * `onLoadError`; with no good table yet, the function's own code runs. Default true. False:
   * the table is handed to the runtime, which reports it (`onInvalidRoutes`) and runs the
   * function's own code (SPEC section 9's default).
   */
  keepLastGoodOnInvalid?: boolean;
  /** Match options the tables are validated with (the runtime's `compileOptions`). */
  matchOptions?: MatchOptions;
  /** Called for every invalidation (a function id), besides the attached routers. */
  onInvalidate?: (functionId: string) => void;
  /** The LISTEN connection failed or was lost (it reconnects by itself). Default: console.warn. */
  onError?: (err: unknown) => void;
  /** Backoff between reconnection attempts (ms). Default 100, doubling up to 5,000. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** How often the idle LISTEN connection is checked with `SELECT 1` (ms; 0: never). Default 10,000. */
  heartbeatMs?: number;
  /** Function ids remembered for "invalidate everything after a reconnection". Default 100,000. */
  maxTrackedFunctions?: number;
}

export interface PostgresRouteSourceStats {
  listening: boolean;
  /** LISTEN connections established (the first one included). */
  connections: number;
  /** Failed connection attempts and lost connections. */
  failures: number;
  notifications: number;
  loads: number;
  invalidTables: number;
}

export interface PostgresRouteSource {
  /** The runtime router's `loadRoutes` (pass it as is: it is bound): the function's stored table, or null (no row, or a null column). */
  load: (functionId: string) => Promise<unknown>;
  /** Invalidates `target` on every change; returns a function that detaches it. */
  attach(target: InvalidationTarget): () => void;
  /** Resolves once the LISTEN connection is established (it may drop and come back later). */
  whenListening(): Promise<void>;
  readonly listening: boolean;
  stats(): PostgresRouteSourceStats;
  /** Stops listening; ends the pool when the source made it. */
  close(): Promise<void>;
}

export async function createPostgresRouteSource(options: PostgresRouteSourceOptions): Promise<PostgresRouteSource> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new TypeError('createPostgresRouteSource needs exactly one of `pool` (a pg.Pool) or `connectionString` (postgres://user@host:port/db)');
  }
  const table = sqlIdentifier('table', options.table ?? DEFAULT_TABLE, true);
  const idColumn = sqlIdentifier('idColumn', options.idColumn ?? DEFAULT_ID_COLUMN);
  const routesColumn = sqlIdentifier('routesColumn', options.routesColumn ?? DEFAULT_ROUTES_COLUMN);
  const channel = options.channel ?? DEFAULT_CHANNEL;
  const keepLastGood = options.keepLastGoodOnInvalid !== false;
  const maxTracked = Math.max(1, options.maxTrackedFunctions ?? 100_000);
  const onError = options.onError ?? ((err: unknown) => console.warn(`[routing-core] Postgres route source: ${err instanceof Error ? err.message : String(err)} (reconnecting)`));

  const ownPool = options.pool === undefined;
  const pool =
    options.pool ??
    (await createOwnPool({
      connectionString: options.connectionString!,
      max: 4,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      application_name: 'af-routes',
    }));
  // An idle pooled connection that dies emits 'error' on the pool: unhandled, it would end the process.
  if (ownPool) pool.on?.('error', (err) => onError(err));

  if (options.query !== undefined && (typeof options.query !== 'string' || !options.query.includes('$1'))) {
    throw new TypeError('query must be SQL text that takes the function id as $1 and selects a "routes" column');
  }
  const query = options.query ?? `SELECT ${routesColumn} AS routes FROM ${table} WHERE ${idColumn} = $1 LIMIT 1`;
  const targets = new Set<InvalidationTarget>();
  /** Functions loaded through this source, oldest first: what a reconnection invalidates. */
  const tracked = new Map<string, true>();
  const counters = { notifications: 0, loads: 0, invalidTables: 0 };

  const invalidate = (functionId: string): void => {
    for (const target of targets) {
      try {
        target.invalidate(functionId);
      } catch (err) {
        onError(err);
      }
    }
    try {
      options.onInvalidate?.(functionId);
    } catch (err) {
      onError(err);
    }
  };

  const listener = new PgListener({
    pool,
    channel,
    backoffInitialMs: options.reconnectInitialMs ?? 100,
    backoffMaxMs: options.reconnectMaxMs ?? 5_000,
    heartbeatMs: options.heartbeatMs ?? 10_000,
    onError,
    onNotification(payload) {
      counters.notifications++;
      // '*' (or an empty payload): everything, e.g. after a bulk migration of routes.
      if (payload === '' || payload === '*') for (const id of [...tracked.keys()]) invalidate(id);
      else invalidate(payload);
    },
    onListening() {
      // Changes made while nobody listened were not announced: every table may be stale.
      for (const id of [...tracked.keys()]) invalidate(id);
    },
  });

  return {
    async load(functionId) {
      counters.loads++;
      tracked.delete(functionId);
      tracked.set(functionId, true);
      if (tracked.size > maxTracked) tracked.delete(tracked.keys().next().value as string);
      const result = await pool.query(query, [functionId]);
      let routes: unknown = result.rows[0]?.routes ?? null;
      if (routes === null || !keepLastGood) return routes;
      if (typeof routes === 'string') {
        // A text column: the runtime parses JSON text, but validation needs the value.
        try {
          routes = JSON.parse(routes);
        } catch (err) {
          counters.invalidTables++;
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
      const check = validateRoutes(routes, options.matchOptions);
      if (!check.valid) {
        counters.invalidTables++;
        throw new RoutesValidationError(check.errors, check.warnings);
      }
      return routes;
    },
    attach(target) {
      if (typeof target?.invalidate !== 'function') throw new TypeError('attach() needs an object with invalidate(functionId), such as a runtime router');
      targets.add(target);
      return () => void targets.delete(target);
    },
    whenListening: () => listener.whenListening(),
    get listening() {
      return listener.listening;
    },
    stats: () => ({ listening: listener.listening, ...listener.counters, ...counters }),
    async close() {
      targets.clear();
      await listener.close();
      if (ownPool) await pool.end();
    },
  };
}
