import { z } from "zod";
import { defaultLimits } from "@conveyor/db";

/** The API's settings, read once at start. */
const envSchema = z.object({
  DATABASE_URL: z.string().url("DATABASE_URL must be a postgres:// connection string"),
  /** Port of the HTTP server (default: 3000). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Interface to listen on (default: 127.0.0.1). */
  CONVEYOR_API_HOST: z.string().default("127.0.0.1"),
  /** Connections in the API's query pool (default: 10); each API process holds one more for LISTEN. */
  CONVEYOR_API_DB_POOL: z.coerce.number().int().min(1).max(500).default(10),
  /** Largest request body in bytes (default: 10 MB). */
  CONVEYOR_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** How long a query or mutation waits for PostgreSQL before it is answered SERVICE_UNAVAILABLE (default: 10 s). */
  CONVEYOR_API_DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Limits of tokens that set none of their own (see README, Security). */
  CONVEYOR_SUBMIT_RATE: z.coerce.number().positive().default(defaultLimits.submitRate),
  CONVEYOR_SUBMIT_BURST: z.coerce.number().int().min(1).default(defaultLimits.submitBurst),
  CONVEYOR_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(0).default(defaultLimits.maxSubscriptions),
  CONVEYOR_MAX_UNFINISHED_RUNS: z.coerce.number().int().min(0).default(defaultLimits.maxUnfinishedRuns),
  /** Comma-separated origins allowed by CORS (default: none; the web app's dev server proxies /trpc). */
  CONVEYOR_CORS_ORIGINS: z
    .string()
    .default("")
    .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean)),
});

export type ApiEnv = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new Error(`API settings are invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
