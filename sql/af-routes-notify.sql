-- @alternatefutures/routing-core: announce route changes of "AFFunction" on channel af_routes_changed.
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
DROP TRIGGER IF EXISTS "af_routes_AFFunction_written" ON "AFFunction";
CREATE TRIGGER "af_routes_AFFunction_written"
  AFTER INSERT OR DELETE ON "AFFunction"
  FOR EACH ROW EXECUTE FUNCTION af_routes_notify('af_routes_changed', 'id');

-- Updates only when the routes (or the id) actually changed: saving other fields of a
-- function does not make every instance reload it. (Compared as text: json has no equality.)
DROP TRIGGER IF EXISTS "af_routes_AFFunction_changed" ON "AFFunction";
CREATE TRIGGER "af_routes_AFFunction_changed"
  AFTER UPDATE ON "AFFunction"
  FOR EACH ROW
  WHEN (OLD.routes::text IS DISTINCT FROM NEW.routes::text OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION af_routes_notify('af_routes_changed', 'id');
