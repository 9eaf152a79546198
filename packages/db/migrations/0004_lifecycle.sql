ALTER TABLE "conveyor"."runs" ADD COLUMN "worker_id" text;--> statement-breakpoint
ALTER TABLE "conveyor"."workers" ADD COLUMN "graphile_worker_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- graphile-worker starts LOWER numbers first; keep in step with `graphilePriority` in @conveyor/jobs.
CREATE FUNCTION conveyor.graphile_priority(p conveyor.run_priority) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p WHEN 'critical' THEN -20 WHEN 'high' THEN -10 WHEN 'normal' THEN 0 ELSE 10 END
$$;
--> statement-breakpoint
-- One graphile-worker job per attempt, keyed by the run: adding the next attempt while the current
-- attempt's job is still locked retires that job (graphile-worker clears its key and spends its
-- attempts), so a run never has two live jobs. The payload names the attempt it is for, so a job
-- that outlived its attempt is recognised and skipped. graphile-worker's own retries (25) only
-- cover a worker that could not record an outcome at all; Conveyor counts the run's attempts.
-- A named queue (any but "default") is a graphile-worker job queue: one run at a time across
-- all workers.
CREATE FUNCTION conveyor.schedule_attempt(run_id uuid, job_type text, attempt integer, start_at timestamptz, run_priority conveyor.run_priority, run_queue text)
RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT graphile_worker.add_job(
    job_type,
    json_build_object('runId', run_id, 'attempt', attempt),
    queue_name => nullif(run_queue, 'default'),
    run_at => start_at,
    max_attempts => 25,
    job_key => 'run:' || run_id,
    priority => conveyor.graphile_priority(run_priority)
  );
$$;
--> statement-breakpoint
-- Take a run's waiting job away (cancel): an unlocked job is deleted, a locked one retired.
CREATE FUNCTION conveyor.unschedule_run(run_id uuid) RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT graphile_worker.remove_job('run:' || run_id);
$$;
