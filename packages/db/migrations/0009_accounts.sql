CREATE TYPE "conveyor"."token_role" AS ENUM('user', 'admin');--> statement-breakpoint
CREATE TABLE "conveyor"."api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" text NOT NULL,
	"role" "conveyor"."token_role" DEFAULT 'user' NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"submit_rate" real,
	"submit_burst" integer,
	"max_subscriptions" integer,
	"max_unfinished_runs" integer,
	"bucket_level" real,
	"bucket_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "conveyor"."subscription_leases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conveyor"."runs" ALTER COLUMN "owner_id" SET DEFAULT 'system';--> statement-breakpoint
ALTER TABLE "conveyor"."runs" ADD COLUMN "secrets" jsonb;--> statement-breakpoint
ALTER TABLE "conveyor"."subscription_leases" ADD CONSTRAINT "subscription_leases_token_id_api_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "conveyor"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_idx" ON "conveyor"."api_tokens" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_tokens_owner_idx" ON "conveyor"."api_tokens" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "subscription_leases_token_idx" ON "conveyor"."subscription_leases" USING btree ("token_id","expires_at");--> statement-breakpoint
CREATE INDEX "runs_owner_created_at_id_idx" ON "conveyor"."runs" USING btree ("owner_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_owner_unfinished_idx" ON "conveyor"."runs" USING btree ("owner_id") WHERE "conveyor"."runs"."status" in ('queued', 'scheduled', 'running');