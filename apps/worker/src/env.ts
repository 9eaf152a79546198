import { z } from "zod";
import { allowedHostsSchema } from "./outbound/address-policy";

/** The worker's settings, read once at start. */
const envSchema = z.object({
  DATABASE_URL: z.string().url("DATABASE_URL must be a postgres:// connection string"),
  CONVEYOR_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
  CONVEYOR_WORKER_LOCAL_QUEUE: z.coerce.number().int().min(0).max(10_000).optional(),
  CONVEYOR_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  CONVEYOR_WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60 * 60_000).default(5_000),
  /** Port of /metrics, /healthz and /readyz (0: a free port, logged at start). */
  CONVEYOR_WORKER_OPS_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
  CONVEYOR_WORKER_OPS_HOST: z.string().default("127.0.0.1"),
  /** Hosts webhooks may reach even on loopback or private addresses (see outbound/address-policy.ts). */
  CONVEYOR_OUTBOUND_ALLOWED_HOSTS: allowedHostsSchema,
});

export type WorkerEnv = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`worker settings are invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
