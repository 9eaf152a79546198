import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { productionEnvironment, productionNodeFlags } from "@conveyor/observability";

const workerRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface SpawnedWorker {
  /** The worker's process id (node itself, so /proc/<pid> describes the worker). */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash or the OOM killer would: no clean-up runs. */
  kill(): Promise<void>;
  /** Whether the process is still running. */
  alive(): boolean;
}

export interface SpawnOptions {
  /**
   * Run the process through this launcher, e.g. `ip netns exec <namespace>`: it must exec the
   * command in its own process, so that signals sent to the child still reach node.
   */
  launcher?: (argv: readonly string[]) => { command: string; args: string[] };
}

/**
 * The command line of a node process on `entry`: TypeScript through tsx's loader, built JavaScript
 * as in production (its flags, and `env`: the production environment to add to the process's).
 */
export function nodeCommand(entry: string, options: SpawnOptions = {}): { command: string; args: string[]; env: Record<string, string> } {
  // Node itself with tsx as a loader (not the tsx launcher, which would run the program in a child
  // of its own): a signal sent to this process reaches the program, SIGKILL included. Built
  // JavaScript runs on plain node with the production heap flags, as in production.
  const argv = [process.execPath, ...(entry.endsWith(".js") ? [...productionNodeFlags, entry] : ["--import", "tsx", entry])];
  const env: Record<string, string> = entry.endsWith(".js") ? { ...productionEnvironment } : {};
  return { ...(options.launcher ? options.launcher(argv) : { command: argv[0]!, args: argv.slice(1) }), env };
}

/**
 * Start the real worker (`src/main.ts`, or another entry relative to the
 * worker package, such as a built `dist/main.js`) as a separate process on a
 * database, and wait until it reports that it is taking runs.
 */
export async function spawnWorker(
  databaseUrl: string,
  env: Record<string, string> = {},
  entry = "src/main.ts",
  options: SpawnOptions = {},
): Promise<SpawnedWorker> {
  const { command, args, env: production } = nodeCommand(entry, options);
  const child = spawn(command, args, {
    cwd: workerRoot,
    // Any free port for /metrics: several workers share this machine in tests.
    // Tests' webhook receivers listen on loopback, which the worker refuses unless allowed.
    env: { ...process.env, ...production, DATABASE_URL: databaseUrl, CONVEYOR_WORKER_OPS_PORT: "0", CONVEYOR_OUTBOUND_ALLOWED_HOSTS: "127.0.0.1,localhost,::1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${output}`));
    });
  });
  return {
    pid: child.pid ?? 0,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
