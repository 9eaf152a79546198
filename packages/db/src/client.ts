import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import * as schema from "./schema";

export interface DatabaseOptions {
  /** Connections in the pool (default: 10). */
  max?: number;
}

/** A postgres.js client with Conveyor's connection settings (for LISTEN-only connections and the like). */
export function connectPostgres(databaseUrl: string, options: DatabaseOptions = {}): postgres.Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 10,
    onnotice: () => {},
    backoff: reconnectDelaySeconds,
  });
}

/** A Drizzle database on the `postgres` driver, with Conveyor's schema. */
export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}) {
  return drizzle(connectPostgres(databaseUrl, options), { schema });
}

/**
 * Seconds before a pool connection that was lost tries again: 50 ms doubling
 * to at most 1 s, with jitter so a restarted server is not met by every
 * connection at once. postgres.js's default grows to 20 s after seven failed
 * attempts, so after a minute's outage a pool (and every query queued on it,
 * LISTEN included) sat idle for up to 20 s while PostgreSQL was back. A refused
 * connection to a stopped server costs next to nothing, so trying every second
 * is cheap, and recovery follows the database within about a second.
 */
function reconnectDelaySeconds(failedAttempts: number): number {
  return Math.min(0.05 * 2 ** failedAttempts, 1) * (0.5 + Math.random() / 2);
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
