-- Secrets at rest: sealed with AES-256-GCM by the process that submits, with the id of the sealing key.
-- Runs submitted before keep their plaintext `secrets` until `pnpm conveyor secrets rotate` seals them.
ALTER TABLE "conveyor"."runs" ADD COLUMN "sealed_secrets" bytea;--> statement-breakpoint
ALTER TABLE "conveyor"."runs" ADD COLUMN "secrets_key_id" text;
