import { z } from "zod";

/** The API's settings, read once at start. */
const envSchema = z.object({
  DATABASE_URL: z.string().url("DATABASE_URL must be a postgres:// connection string"),
  /** Port of the HTTP server (default: 3000). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Interface to listen on (default: 127.0.0.1). */
  CONVEYOR_API_HOST: z.string().default("127.0.0.1"),
  /** Largest request body in bytes (default: 12 MB, room for an 8 MB document). */
  CONVEYOR_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(12 * 1024 * 1024),
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
