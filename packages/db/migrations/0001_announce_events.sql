-- Announce every new run event on the `conveyor_events` channel, once per
-- inserting statement, with the new ids as a comma-separated list. Whoever
-- inserts events (a worker's batch, the API's submit) is announced the same
-- way, and only after commit. A NOTIFY payload must stay under 8000 bytes,
-- so large batches are split into chunks of 400 ids.
CREATE FUNCTION conveyor.announce_run_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  chunk text;
BEGIN
  FOR chunk IN
    SELECT string_agg(id::text, ',' ORDER BY id)
    FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 400 AS n FROM new_events) numbered
    GROUP BY n
  LOOP
    PERFORM pg_notify('conveyor_events', chunk);
  END LOOP;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER run_events_announce
AFTER INSERT ON conveyor.run_events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT EXECUTE FUNCTION conveyor.announce_run_events();
