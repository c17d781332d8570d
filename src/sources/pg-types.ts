/**
 * The parts of node-postgres (`pg`) the route source uses, written out so that the package's
 * types do not depend on `@types/pg` (an optional peer): a `pg.Pool` fits `PgPoolLike`.
 */

export interface PgNotification {
  channel: string;
  payload?: string | undefined;
}

export interface PgQueryResult {
  rows: Array<Record<string, unknown>>;
}

/** A client checked out of a pool (`pool.connect()`). */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  on(event: 'notification', listener: (message: PgNotification) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  /** With an error (or `true`) the pool destroys the connection instead of reusing it. */
  release(err?: Error | boolean): void;
}

export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  connect(): Promise<PgPoolClientLike>;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}

/** Options of the pool the source creates itself from a connection string. */
export interface OwnPoolOptions {
  connectionString: string;
  max: number;
  connectionTimeoutMillis: number;
  keepAlive: boolean;
  application_name: string;
}

/**
 * Loads `pg` when a source is created from a connection string, not when the package is
 * imported: most hosts never use it, and it is an optional peer dependency.
 */
export async function createOwnPool(options: OwnPoolOptions): Promise<PgPoolLike> {
  let mod: { default?: { Pool: new (o: OwnPoolOptions) => PgPoolLike }; Pool?: new (o: OwnPoolOptions) => PgPoolLike };
  try {
    mod = (await import('pg')) as typeof mod;
  } catch (err) {
    throw new Error(`The Postgres route source needs the "pg" package (node-postgres): npm install pg. (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  // pg is CommonJS: its exports arrive as `default` under ESM, as the namespace under CommonJS.
  const Pool = mod.default?.Pool ?? mod.Pool;
  if (Pool === undefined) throw new Error('The "pg" package loaded, but it has no Pool export: is it node-postgres 8 or later?');
  return new Pool(options);
}
