/**
 * The SQL that makes Postgres announce route changes: a trigger function that sends
 * `pg_notify(channel, <function id>)` and triggers on the routes table for insert, delete, and
 * updates that change the routes (or the id). sql/af-routes-notify.sql is this SQL for the
 * defaults (test/postgres-migration.test.ts keeps the two equal).
 */
import { identifierName, sqlIdentifier } from './identifiers.js';

export const DEFAULT_TABLE = '"AFFunction"';
export const DEFAULT_ID_COLUMN = 'id';
export const DEFAULT_ROUTES_COLUMN = 'routes';
/** The NOTIFY channel (an exact name: LISTEN quotes it). */
export const DEFAULT_CHANNEL = 'af_routes_changed';

export interface MigrationOptions {
  /** The table, as SQL (`"AFFunction"`, `app."AFFunction"`). Default `"AFFunction"` (Prisma's model). */
  table?: string;
  /** The id column, as SQL. Default `id`. */
  idColumn?: string;
  /** The routes column (jsonb, json or text), as SQL. Default `routes`. */
  routesColumn?: string;
  /** The channel notified. Default `af_routes_changed`. */
  channel?: string;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A name for the triggers unique per table, so that several tables can be watched. */
function triggerName(table: string, suffix: string): string {
  // Postgres truncates names at 63 bytes: keep it short and plain.
  const base = identifierName(table.split('.').pop()!)
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 40);
  return `"af_routes_${base}_${suffix}"`;
}

/** The migration's SQL (idempotent: it can run again, e.g. to change the channel). */
export function postgresMigrationSql(options: MigrationOptions = {}): string {
  const table = sqlIdentifier('table', options.table ?? DEFAULT_TABLE, true);
  const idColumn = sqlIdentifier('idColumn', options.idColumn ?? DEFAULT_ID_COLUMN);
  const routesColumn = sqlIdentifier('routesColumn', options.routesColumn ?? DEFAULT_ROUTES_COLUMN);
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > 63) {
    throw new TypeError(`channel must be a name of 1 to 63 characters, got ${JSON.stringify(channel)}`);
  }
  const changed = triggerName(table, 'changed');
  const written = triggerName(table, 'written');
  return `-- @alternatefutures/routing-core: announce route changes of ${table} on channel ${channel}.
-- Every instance LISTENs on the channel and reloads the function named by the payload.
-- Idempotent: safe to run again.

-- Generic: the channel and the id column come from the trigger's arguments, so one function
-- serves any table. NOTIFY is sent at commit, so a listener that reloads sees the new row.
CREATE OR REPLACE FUNCTION af_routes_notify() RETURNS trigger
LANGUAGE plpgsql AS $af_routes$
DECLARE
  old_id text;
  new_id text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_id := to_jsonb(OLD) ->> TG_ARGV[1];
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    new_id := to_jsonb(NEW) ->> TG_ARGV[1];
  END IF;
  IF old_id IS NOT NULL THEN
    PERFORM pg_notify(TG_ARGV[0], old_id);
  END IF;
  IF new_id IS NOT NULL AND new_id IS DISTINCT FROM old_id THEN
    PERFORM pg_notify(TG_ARGV[0], new_id);
  END IF;
  RETURN NULL;
END
$af_routes$;

-- Inserts and deletes always change what a function serves.
DROP TRIGGER IF EXISTS ${written} ON ${table};
CREATE TRIGGER ${written}
  AFTER INSERT OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION af_routes_notify(${literal(channel)}, ${literal(identifierName(idColumn))});

-- Updates only when the routes (or the id) actually changed: saving other fields of a
-- function does not make every instance reload it. (Compared as text: json has no equality.)
DROP TRIGGER IF EXISTS ${changed} ON ${table};
CREATE TRIGGER ${changed}
  AFTER UPDATE ON ${table}
  FOR EACH ROW
  WHEN (OLD.${routesColumn}::text IS DISTINCT FROM NEW.${routesColumn}::text OR OLD.${idColumn} IS DISTINCT FROM NEW.${idColumn})
  EXECUTE FUNCTION af_routes_notify(${literal(channel)}, ${literal(identifierName(idColumn))});
`;
}
