-- Lost attempts (a worker died during them) get a budget of their own instead of spending max_attempts.
-- Adding a column with a constant default rewrites nothing, however many runs the table holds.
ALTER TABLE "conveyor"."runs" ADD COLUMN "lost_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "conveyor"."runs" ADD COLUMN "max_lost_attempts" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
-- Unfinished runs carry the attempts they already lost (finished ones no longer need a budget).
UPDATE "conveyor"."runs" r
   SET "lost_attempts" = (SELECT count(*) FROM "conveyor"."run_events" e
                           WHERE e.run_id = r.id AND e.kind = 'retrying' AND e.data->>'error' LIKE 'worker lost%')
 WHERE r.status IN ('queued', 'scheduled', 'running');
