import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
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

const dialect = new PgDialect();

/**
 * Run a Drizzle `sql` query as a named prepared statement. Drizzle's
 * `db.execute` sends every query unnamed, so PostgreSQL parses and plans it
 * on every call: for the submit statement (a dozen CTEs) that was 1-2 ms of
 * each submit. postgres.js prepares a query text once per connection and
 * reuses it, so this is for statements whose text does not vary per call.
 */
export async function executePrepared<Row extends Record<string, unknown>>(client: SqlClient, query: SQL): Promise<Row[]> {
  const { sql, params } = dialect.sqlToQuery(query);
  // Drizzle types its rendered parameters as unknown[]; they are the values its own postgres-js
  // session hands to this same `unsafe` (strings, numbers, JSON text), so the cast names what they are.
  return client.unsafe<Row[]>(sql, params as postgres.ParameterOrJSON<never>[], { prepare: true });
}
