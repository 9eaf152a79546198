import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RunningPostgres } from "../embedded-postgres";

const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const entry = fileURLToPath(new URL("../embedded-postgres-process.ts", import.meta.url));

/** Start an embedded PostgreSQL in a child process (see embedded-postgres-process.ts for why). */
export async function spawnEmbeddedPostgres(options: { dataDir: string; port: number; ephemeral: boolean }): Promise<RunningPostgres> {
  const child = spawn(tsx, [entry], {
    env: {
      ...process.env,
      CONVEYOR_PG_DATA_DIR: options.dataDir,
      CONVEYOR_PG_PORT: String(options.port),
      CONVEYOR_PG_EPHEMERAL: options.ephemeral ? "1" : "0",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded PostgreSQL did not start within 60 s:\n${output}`)), 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"url":"([^"]+)"\}/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL exited before it was ready:\n${output}`));
    });
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
