import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { nodeCommand, type SpawnOptions } from "@conveyor/worker/testing";

const apiRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface SpawnedApi {
  /** The API's process id (node itself, so /proc/<pid> describes the API). */
  pid: number;
  /** Base URL of its tRPC endpoint, as it logged it, e.g. http://127.0.0.1:41234/trpc */
  url: string;
  /** Every line it wrote to stdout and stderr so far (JSON lines from `main.ts`), growing as it writes. */
  lines: string[];
  /** SIGTERM, then wait until it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no clean-up runs. */
  kill(): Promise<void>;
}

/**
 * Start the real API (`src/main.ts`, or another entry relative to the API
 * package, such as a built `dist/main.js`) as a separate process on a
 * database, on a free port (`PORT=0`), and wait until it logs that it is
 * listening. `env` adds settings, e.g. `{ CONVEYOR_SUBMIT_RATE: "1" }`.
 */
export async function spawnApi(databaseUrl: string, env: Record<string, string> = {}, entry = "src/main.ts", options: SpawnOptions = {}): Promise<SpawnedApi> {
  const { command, args, env: production } = nodeCommand(entry, options);
  const child = spawn(command, args, {
    cwd: apiRoot,
    env: { ...process.env, ...production, DATABASE_URL: databaseUrl, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start within 30 s:\n${lines.join("\n")}`)), 30_000);
    const reader = () => {
      let pending = "";
      return (chunk: Buffer) => {
        pending += chunk.toString();
        const complete = pending.split("\n");
        pending = complete.pop() ?? "";
        for (const line of complete) {
          lines.push(line);
          const listening = listeningUrl(line);
          if (listening) {
            clearTimeout(timer);
            resolve(listening);
          }
        }
      };
    };
    child.stdout.on("data", reader());
    child.stderr.on("data", reader());
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the API exited with ${child.exitCode ?? child.signalCode} before listening:\n${lines.join("\n")}`));
    });
  });
  return {
    pid: child.pid ?? 0,
    url,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The URL in main.ts's `{"message":"api listening","url":…}` line, if this is that line. */
function listeningUrl(line: string): string | undefined {
  if (!line.includes('"api listening"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { message?: unknown; url?: unknown };
    return parsed.message === "api listening" && typeof parsed.url === "string" ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}
