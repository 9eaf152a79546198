-- Announce the events themselves, not only their ids: a live stream then gets a run's event
-- straight from the notification, without the API reading it back from the table (a round trip
-- per batch, on one connection, that made a `started` event reach subscribers milliseconds after
-- the handler started). The payload is a JSON array whose items are events
-- (`{"id","runId","ownerId","type","kind","at","data"}`, what the API's live streams deliver) or,
-- for an event too large to travel this way, its id alone (the API reads that one). A NOTIFY
-- payload must stay under 8000 bytes: items of at most 1000 bytes, in chunks that begin within
-- the first 6800 bytes, stay under it. A statement writing more than 16 events (a worker's batch
-- under load) announces ids only, as before: building every event's JSON cost the worker's drain
-- 10-15% of its runs per second, while one read per such batch costs the API little.
CREATE OR REPLACE FUNCTION conveyor.announce_run_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  chunk text;
BEGIN
  IF (SELECT count(*) FROM new_events) > 16 THEN
    FOR chunk IN
      SELECT '[' || string_agg(id::text, ',' ORDER BY id) || ']'
        FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 400 AS n FROM new_events) numbered
       GROUP BY n
       ORDER BY n
    LOOP
      PERFORM pg_notify('conveyor_events', chunk);
    END LOOP;
    RETURN NULL;
  END IF;
  FOR chunk IN
    WITH announced AS (
      SELECT e.id,
             json_build_object('id', e.id, 'runId', e.run_id, 'ownerId', r.owner_id, 'type', r.type,
                               'kind', e.kind, 'at', e.at, 'data', e.data)::text AS event
        FROM new_events e
        JOIN conveyor.runs r ON r.id = e.run_id
    ), item AS (
      SELECT id, CASE WHEN octet_length(event) <= 1000 THEN event ELSE id::text END AS item FROM announced
    ), placed AS (
      -- Where each item begins in the concatenation of all of them.
      SELECT id, item, sum(octet_length(item) + 1) OVER (ORDER BY id) - octet_length(item) - 1 AS offset_bytes FROM item
    )
    SELECT '[' || string_agg(item, ',' ORDER BY id) || ']'
      FROM placed
     GROUP BY offset_bytes / 6800
     ORDER BY min(id)
  LOOP
    PERFORM pg_notify('conveyor_events', chunk);
  END LOOP;
  RETURN NULL;
END;
$$;
