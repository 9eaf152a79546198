ALTER TABLE "conveyor"."runs" ADD COLUMN "lane" text;--> statement-breakpoint
-- Runs already waiting keep the queue they had: a named queue ran one at a time.
UPDATE "conveyor"."runs" SET "lane" = nullif("queue", 'default');
--> statement-breakpoint
-- The job's graphile-worker queue is now the run's lane (a queue with a concurrency above 1 has several).
DROP FUNCTION conveyor.schedule_attempt(uuid, text, integer, timestamptz, conveyor.run_priority, text);
--> statement-breakpoint
CREATE FUNCTION conveyor.schedule_attempt(run_id uuid, job_type text, attempt integer, start_at timestamptz, run_priority conveyor.run_priority, run_lane text)
RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT graphile_worker.add_job(
    job_type,
    json_build_object('runId', run_id, 'attempt', attempt),
    queue_name => run_lane,
    run_at => start_at,
    max_attempts => 25,
    job_key => 'run:' || run_id,
    priority => conveyor.graphile_priority(run_priority)
  );
$$;
