/** Exit 0 when a PostgreSQL answers at DATABASE_URL (or the argument), 1 otherwise. Used by .ci/run. */
import postgres from "postgres";

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (!url) process.exit(1);
const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
try {
  await sql`select 1`;
  await sql.end();
  process.exit(0);
} catch {
  process.exit(1);
}
