import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import * as schema from "./schema";

export interface DatabaseOptions {
  /** Connections in the pool (default: 10). */
  max?: number;
}

/** A Drizzle database on the `postgres` driver, with Conveyor's schema. */
export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}) {
  const client = postgres(databaseUrl, {
    max: options.max ?? 10,
    onnotice: () => {},
  });
  return drizzle(client, { schema });
}

export type Database = ReturnType<typeof createDatabase>;
/** The raw postgres.js client under a Database, for LISTEN and hand-written batch SQL. */
export type SqlClient = Database["$client"];

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end({ timeout: 5 });
}
