CREATE SCHEMA "conveyor";
--> statement-breakpoint
CREATE TYPE "conveyor"."run_event_kind" AS ENUM('queued', 'started', 'progress', 'retrying', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "conveyor"."run_priority" AS ENUM('low', 'normal', 'high', 'critical');--> statement-breakpoint
CREATE TYPE "conveyor"."run_status" AS ENUM('queued', 'scheduled', 'running', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "conveyor"."run_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conveyor"."run_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"kind" "conveyor"."run_event_kind" NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "conveyor"."runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"queue" text NOT NULL,
	"status" "conveyor"."run_status" DEFAULT 'queued' NOT NULL,
	"priority" "conveyor"."run_priority" DEFAULT 'normal' NOT NULL,
	"input" jsonb NOT NULL,
	"output" jsonb,
	"error" text,
	"progress_percent" real DEFAULT 0 NOT NULL,
	"progress_message" text,
	"progress_data" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"timeout_ms" integer NOT NULL,
	"owner_id" text DEFAULT 'anonymous' NOT NULL,
	"idempotency_key" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conveyor"."run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "conveyor"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_events_run_id_id_idx" ON "conveyor"."run_events" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "runs_created_at_id_idx" ON "conveyor"."runs" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_created_at_idx" ON "conveyor"."runs" USING btree ("status","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_type_created_at_idx" ON "conveyor"."runs" USING btree ("type","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_queue_created_at_idx" ON "conveyor"."runs" USING btree ("queue","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "runs_owner_idempotency_key_idx" ON "conveyor"."runs" USING btree ("owner_id","idempotency_key") WHERE "conveyor"."runs"."idempotency_key" is not null;