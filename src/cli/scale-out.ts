/**
 * `af-routes serve --routes-from postgres://... --function <id>` and `--rate-limit-store
 * redis://...`: the standalone gateway reading a function's routes from the platform's
 * Postgres (reloaded on NOTIFY) and sharing rate limits in Redis, as the runtime does
 * (docs/scale-out.md). pg and ioredis load only when these flags are given.
 */
import { quoteQualifiedName, SqlIdentifierError } from '../sources/identifiers.js';
import type { PostgresRouteSource } from '../sources/postgres.js';
import type { RedisRateLimitStore } from '../stores/redis.js';
import { UsageError } from './errors.js';

export interface ScaleOutFlags {
  function?: string | undefined;
  routesFrom?: string | undefined;
  routesTable?: string | undefined;
  routesColumn?: string | undefined;
  routesIdColumn?: string | undefined;
  rateLimitStore?: string | undefined;
}

/** A URL for messages: the password hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Command-line checks that need no connection: usage errors (exit 2) before anything starts. */
export function checkScaleOutFlags(arg: string | undefined, flags: ScaleOutFlags): void {
  if (flags.routesFrom === undefined) {
    for (const [name, value] of [
      ['--routes-table', flags.routesTable],
      ['--routes-column', flags.routesColumn],
      ['--routes-id-column', flags.routesIdColumn],
    ] as const) {
      if (value !== undefined) throw new UsageError(`${name} applies with --routes-from postgres://...`);
    }
  } else {
    if (!/^postgres(ql)?:\/\/./.test(flags.routesFrom)) {
      throw new UsageError(`--routes-from takes a Postgres URL (postgres://user@host:port/db), not "${redactUrl(flags.routesFrom)}"`);
    }
    if (arg !== undefined) throw new UsageError('Give either <routes> or --routes-from, not both');
    if (flags.function === undefined || flags.function === '') {
      throw new UsageError('--routes-from needs --function <id>: the function whose routes row to serve');
    }
  }
  if (flags.rateLimitStore !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(flags.rateLimitStore);
    } catch {
      // reported below
    }
    if (url === undefined || !/^rediss?:$/.test(url.protocol) || url.hostname === '') {
      throw new UsageError(`--rate-limit-store takes a Redis URL (redis://host:port or rediss://...), not "${redactUrl(flags.rateLimitStore)}"`);
    }
  }
}

function sqlNames(flags: ScaleOutFlags): { table: string; routesColumn: string; idColumn: string } {
  try {
    return {
      // Exact names, as the platform's schema spells them (Prisma quotes them): AFFunction, not affunction.
      table: quoteQualifiedName('--routes-table', flags.routesTable ?? 'AFFunction'),
      routesColumn: quoteQualifiedName('--routes-column', flags.routesColumn ?? 'routes'),
      idColumn: quoteQualifiedName('--routes-id-column', flags.routesIdColumn ?? 'id'),
    };
  } catch (e) {
    if (e instanceof SqlIdentifierError) throw new UsageError(e.message);
    throw e;
  }
}

export interface PostgresServeSource {
  label: string;
  /** No file to watch: changes come by NOTIFY. */
  file?: undefined;
  load(): Promise<unknown>;
  /** Calls `onChange` when the function's row may have changed (NOTIFY, or a reconnection). */
  watch(onChange: () => void): void;
  close(): Promise<void>;
}

/** The function's row as the serve command's source. Unreachable at start: exit 2 with the reason. */
export async function openPostgresServeSource(flags: ScaleOutFlags, onError: (message: string) => void): Promise<PostgresServeSource> {
  const { createPostgresRouteSource } = await import('../sources/postgres.js');
  const functionId = flags.function!;
  const names = sqlNames(flags);
  const url = flags.routesFrom!;
  let source: PostgresRouteSource;
  try {
    source = await createPostgresRouteSource({
      connectionString: url,
      ...names,
      // serve validates each table itself, prints the problems and keeps the previous one.
      keepLastGoodOnInvalid: false,
      onError: (err) => onError(`Postgres LISTEN connection: ${err instanceof Error ? err.message : String(err)} (reconnecting; the last table keeps serving)`),
    });
  } catch (e) {
    throw new UsageError((e as Error).message, 'routes-unreadable');
  }
  const label = `${names.table}.${names.routesColumn} of ${JSON.stringify(functionId)} at ${redactUrl(url)}`;
  let first = true;
  return {
    label,
    async load() {
      try {
        return await source.load(functionId);
      } catch (e) {
        const message = `Cannot read the routes of ${JSON.stringify(functionId)} from ${redactUrl(url)}: ${(e as Error).message}`;
        if (first) {
          await source.close();
          throw new UsageError(message, 'routes-unreadable');
        }
        throw new Error(message, { cause: e });
      } finally {
        first = false;
      }
    },
    watch(onChange) {
      source.attach({ invalidate: (id) => id === functionId && onChange() });
    },
    close: () => source.close(),
  };
}

/** The shared rate-limit store, created and closed here; the gateway's rateLimit stages use it (SPEC 12). */
export async function openRateLimitStore(url: string, onError: (message: string) => void): Promise<RedisRateLimitStore> {
  const { createRedisRateLimitStore } = await import('../stores/redis.js');
  let last = 0;
  try {
    return await createRedisRateLimitStore({
      url,
      onError: (err) => {
        // The client retries every 2 s or so while Redis is down: one line per 10 s is enough.
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        onError(`Redis rate-limit store: ${err instanceof Error ? err.message : String(err)} (requests pass unlimited until it is back)`);
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
