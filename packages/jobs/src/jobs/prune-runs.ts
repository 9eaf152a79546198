import { z } from "zod";
import { defineJob } from "../define-job";

/**
 * Conveyor's own housekeeping: deletes finished runs (and their events) older
 * than each job type's `retention`. It is an ordinary scheduled run, visible
 * in the run list like any other.
 */
export const pruneFinishedRuns = defineJob({
  name: "runs.prune",
  description: "Delete finished runs older than their job type's retention",
  input: z.object({}).strict(),
  output: z.object({ deleted: z.record(z.string(), z.number().int().nonnegative()) }),
  progress: z.object({}),
  defaults: { maxAttempts: 3, timeoutMs: 30 * 60 * 1000, queue: "housekeeping" },
  schedules: [{ name: "prune-finished-runs", cron: "17 * * * *", input: {} }],
  label: () => "Prune finished runs",
});
