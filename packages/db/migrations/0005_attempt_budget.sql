ALTER TABLE "conveyor"."runs" ADD COLUMN "attempt_budget" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
-- Existing runs keep the budget they were submitted with.
UPDATE "conveyor"."runs" SET "attempt_budget" = "max_attempts";
