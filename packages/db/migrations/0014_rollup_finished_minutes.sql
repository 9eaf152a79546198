CREATE TABLE "conveyor"."run_minute_changes" (
	"minute" timestamp with time zone NOT NULL,
	"owner_id" text NOT NULL,
	"queue" text NOT NULL,
	"type" text NOT NULL,
	"status" "conveyor"."run_status" NOT NULL,
	"bucket" smallint NOT NULL,
	"n" bigint NOT NULL,
	"duration_ms" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conveyor"."run_minutes" (
	"minute" timestamp with time zone NOT NULL,
	"owner_id" text NOT NULL,
	"queue" text NOT NULL,
	"type" text NOT NULL,
	"status" "conveyor"."run_status" NOT NULL,
	"bucket" smallint NOT NULL,
	"n" bigint NOT NULL,
	"duration_ms" double precision NOT NULL,
	CONSTRAINT "run_minutes_minute_owner_id_queue_type_status_bucket_pk" PRIMARY KEY("minute","owner_id","queue","type","status","bucket")
);
--> statement-breakpoint
-- A duration's bucket: bucket b holds [1.1^b - 1, 1.1^(b+1) - 1) ms, so reading a bucket as its
-- geometric middle (1.1^(b + 0.5) - 1) is within 5% of any duration in it. Inlined into the triggers.
CREATE FUNCTION conveyor.duration_bucket(ms float8) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT floor(ln(greatest(ms, 0) + 1) / ln(1.1))::smallint $$;
--> statement-breakpoint
-- The finished runs of the last 2 hours (queues.stats reads one), so the rollups start from the truth.
INSERT INTO "conveyor"."run_minutes" ("minute", "owner_id", "queue", "type", "status", "bucket", "n", "duration_ms")
SELECT date_trunc('minute', finished_at), owner_id, queue, type, status,
       CASE WHEN status = 'completed' THEN conveyor.duration_bucket(coalesce(extract(epoch from finished_at - started_at) * 1000, 0)) ELSE -1 END,
       count(*), sum(CASE WHEN status = 'completed' THEN greatest(coalesce(extract(epoch from finished_at - started_at) * 1000, 0), 0) ELSE 0 END)
  FROM "conveyor"."runs"
 WHERE status IN ('completed', 'failed') AND finished_at >= now() - interval '2 hours'
 GROUP BY 1, 2, 3, 4, 5, 6;
--> statement-breakpoint
-- A run counts in the minute it finished while it stays completed or failed: leaving that status
-- (a retry) or being deleted takes it out again, as queues.stats counted runs before. Runs that
-- finished more than 2 hours ago are left out (queues.stats reads the last hour).
CREATE OR REPLACE FUNCTION conveyor.count_inserted_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conveyor.run_count_changes (owner_id, queue, type, status, n)
  SELECT owner_id, queue, type, status, count(*) FROM new_runs GROUP BY 1, 2, 3, 4;
  -- Runs are inserted waiting; only a copy of history (or a test) inserts finished ones.
  INSERT INTO conveyor.run_minute_changes (minute, owner_id, queue, type, status, bucket, n, duration_ms)
  SELECT date_trunc('minute', finished_at), owner_id, queue, type, status,
         CASE WHEN status = 'completed' THEN conveyor.duration_bucket(ms) ELSE -1 END, count(*), sum(ms)
    FROM (SELECT *, CASE WHEN status = 'completed' THEN greatest(coalesce(extract(epoch from finished_at - started_at) * 1000, 0), 0) ELSE 0 END AS ms
            FROM new_runs WHERE status IN ('completed', 'failed') AND finished_at >= now() - interval '2 hours') f
   GROUP BY 1, 2, 3, 4, 5, 6;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The counts' statement as in 0012; then the finishes, each side filtered by status before it is
-- joined, so a batch of claims (queued -> running) finds no rows to join.
CREATE OR REPLACE FUNCTION conveyor.count_updated_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conveyor.run_count_changes (owner_id, queue, type, status, n)
  SELECT owner_id, queue, type, status, sum(n) FROM (
    SELECT o.owner_id, o.queue, o.type, o.status, -1 AS n
      FROM old_runs o JOIN new_runs r ON r.id = o.id WHERE r.status IS DISTINCT FROM o.status
    UNION ALL
    SELECT r.owner_id, r.queue, r.type, r.status, 1
      FROM old_runs o JOIN new_runs r ON r.id = o.id WHERE r.status IS DISTINCT FROM o.status
  ) changed GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
  INSERT INTO conveyor.run_minute_changes (minute, owner_id, queue, type, status, bucket, n, duration_ms)
  SELECT date_trunc('minute', finished_at), owner_id, queue, type, status,
         CASE WHEN status = 'completed' THEN conveyor.duration_bucket(ms) ELSE -1 END, sum(n), sum(n * ms)
    FROM (SELECT *, CASE WHEN status = 'completed' THEN greatest(coalesce(extract(epoch from finished_at - started_at) * 1000, 0), 0) ELSE 0 END AS ms
            FROM (SELECT o.finished_at, o.owner_id, o.queue, o.type, o.status, o.started_at, -1 AS n
                    FROM old_runs o
                   WHERE o.status IN ('completed', 'failed') AND o.finished_at >= now() - interval '2 hours'
                     AND EXISTS (SELECT 1 FROM new_runs r WHERE r.id = o.id AND r.status IS DISTINCT FROM o.status)
                  UNION ALL
                  SELECT r.finished_at, r.owner_id, r.queue, r.type, r.status, r.started_at, 1
                    FROM new_runs r
                   WHERE r.status IN ('completed', 'failed') AND r.finished_at >= now() - interval '2 hours'
                     AND EXISTS (SELECT 1 FROM old_runs o WHERE o.id = r.id AND o.status IS DISTINCT FROM r.status)) finished) f
   GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION conveyor.forget_deleted_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM conveyor.run_events WHERE run_id IN (SELECT id FROM old_runs);
  INSERT INTO conveyor.run_count_changes (owner_id, queue, type, status, n)
  SELECT owner_id, queue, type, status, -count(*) FROM old_runs GROUP BY 1, 2, 3, 4;
  -- The prune deletes runs finished days ago, which this skips; a deleted recent run leaves the minute.
  INSERT INTO conveyor.run_minute_changes (minute, owner_id, queue, type, status, bucket, n, duration_ms)
  SELECT date_trunc('minute', finished_at), owner_id, queue, type, status,
         CASE WHEN status = 'completed' THEN conveyor.duration_bucket(ms) ELSE -1 END, -count(*), -sum(ms)
    FROM (SELECT *, CASE WHEN status = 'completed' THEN greatest(coalesce(extract(epoch from finished_at - started_at) * 1000, 0), 0) ELSE 0 END AS ms
            FROM old_runs WHERE status IN ('completed', 'failed') AND finished_at >= now() - interval '2 hours') f
   GROUP BY 1, 2, 3, 4, 5, 6;
  RETURN NULL;
END;
$$;
