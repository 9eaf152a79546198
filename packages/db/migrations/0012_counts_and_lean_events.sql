CREATE TABLE "conveyor"."run_count_changes" (
	"owner_id" text NOT NULL,
	"queue" text NOT NULL,
	"type" text NOT NULL,
	"status" "conveyor"."run_status" NOT NULL,
	"n" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conveyor"."run_counts" (
	"owner_id" text NOT NULL,
	"queue" text NOT NULL,
	"type" text NOT NULL,
	"status" "conveyor"."run_status" NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "run_counts_owner_id_queue_type_status_pk" PRIMARY KEY("owner_id","queue","type","status")
);
--> statement-breakpoint
ALTER TABLE "conveyor"."run_events" DROP CONSTRAINT "run_events_run_id_runs_id_fk";
--> statement-breakpoint
DROP INDEX "conveyor"."runs_owner_unfinished_idx";--> statement-breakpoint
CREATE INDEX "runs_finished_at_idx" ON "conveyor"."runs" USING btree ("finished_at") WHERE "conveyor"."runs"."finished_at" is not null;
--> statement-breakpoint
-- The counts of the runs that exist now, so the triggers below start from the truth.
INSERT INTO "conveyor"."run_counts" ("owner_id", "queue", "type", "status", "n")
SELECT "owner_id", "queue", "type", "status", count(*) FROM "conveyor"."runs" GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
-- Once per statement, not per row: a batch of 100 completions appends a few rows.
CREATE FUNCTION conveyor.count_inserted_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conveyor.run_count_changes (owner_id, queue, type, status, n)
  SELECT owner_id, queue, type, status, count(*) FROM new_runs GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION conveyor.count_updated_runs() RETURNS trigger
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
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Deleted runs take their events with them (run_events has no foreign key any more),
-- whether deleted by the prune or by the cascade from a deleted parent.
CREATE FUNCTION conveyor.forget_deleted_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM conveyor.run_events WHERE run_id IN (SELECT id FROM old_runs);
  INSERT INTO conveyor.run_count_changes (owner_id, queue, type, status, n)
  SELECT owner_id, queue, type, status, -count(*) FROM old_runs GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER runs_count_inserted AFTER INSERT ON conveyor.runs
REFERENCING NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION conveyor.count_inserted_runs();
--> statement-breakpoint
CREATE TRIGGER runs_count_updated AFTER UPDATE ON conveyor.runs
REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION conveyor.count_updated_runs();
--> statement-breakpoint
CREATE TRIGGER runs_forget_deleted AFTER DELETE ON conveyor.runs
REFERENCING OLD TABLE AS old_runs FOR EACH STATEMENT EXECUTE FUNCTION conveyor.forget_deleted_runs();
