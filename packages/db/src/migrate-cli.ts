/**
 * `pnpm --filter @conveyor/db migrate` (or `pnpm migrate`): bring the
 * database at DATABASE_URL up to date and exit, e.g. as a release step
 * before new API and worker processes start. They migrate on start as well,
 * under the same advisory lock, so running this is optional and safe to
 * repeat.
 */
import { z } from "zod";
import { migrate } from "./migrate";

const parsed = z
  .object({ DATABASE_URL: z.string().url("DATABASE_URL must be a postgres:// connection string") })
  .safeParse(process.env);
if (!parsed.success) {
  console.error(`migrate: settings are invalid:\n${z.prettifyError(parsed.error)}`);
  process.exit(1);
}

const started = Date.now();
await migrate(parsed.data.DATABASE_URL);
console.log(JSON.stringify({ level: "info", message: "migrations applied", ms: Date.now() - started }));
