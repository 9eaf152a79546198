import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrate } from "../migrate";
import { withDatabase } from "./database-url";
import { freePort } from "./free-port";
import { spawnEmbeddedPostgres } from "./spawn-embedded-postgres";

/** A PostgreSQL server of one test's own, which the test may stop and start again. */
export interface OwnPostgres {
  /** The migrated database on it. */
  url: string;
  /** Stop the server (a fast shutdown: connections are cut). */
  stop(): Promise<void>;
  /** Start it again on the same port, with the same data. */
  start(): Promise<void>;
  /** Stop it and delete its data. */
  remove(): Promise<void>;
}

/**
 * An embedded PostgreSQL in a child process, on a free port, with one
 * migrated database named `database`: for tests that take the server away
 * (restarts, outages), which the shared server of the test run must not be.
 */
export async function startOwnPostgres(database: string): Promise<OwnPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), `conveyor-${database}-`));
  const port = await freePort();
  let server = await spawnEmbeddedPostgres({ dataDir, port, ephemeral: false });
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database}`);
  await admin.end();
  const url = withDatabase(server.url, database);
  await migrate(url);
  let running = true;
  return {
    url,
    async stop() {
      await server.stop();
      running = false;
    },
    async start() {
      server = await spawnEmbeddedPostgres({ dataDir, port, ephemeral: false });
      running = true;
    },
    async remove() {
      if (running) await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
