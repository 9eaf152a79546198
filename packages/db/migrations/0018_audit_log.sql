CREATE TABLE "conveyor"."audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conveyor"."audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor_owner_id" text NOT NULL,
	"actor_role" "conveyor"."token_role" NOT NULL,
	"actor_token_id" uuid,
	"action" text NOT NULL,
	"target_id" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "conveyor"."audit_log" USING btree ("actor_owner_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "conveyor"."audit_log" USING btree ("action","id" DESC NULLS LAST);