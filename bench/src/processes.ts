import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { productionEnvironment, productionNodeFlags } from "@conveyor/observability";

const benchRoot = fileURLToPath(new URL("..", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

export interface ChildHandle {
  pid: number;
  /** Resident memory now, in MB (from /proc). */
  rssMb(): number;
  /** CPU seconds used so far (user + system, from /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Start an entry in a process of its own and wait until it prints `readyText`. A built `.js`
 * entry (the API's and the worker's, as they run in production) runs on plain node with the
 * production heap flags and environment (`productionNodeFlags`, `productionEnvironment`); a `.ts`
 * entry (the load generators) runs with tsx. The returned figures are the entry's own process's.
 * BENCH_NODE_FLAGS adds V8 flags to the built entries (a probe's `--heapsnapshot-signal=SIGUSR2`, say).
 */
export async function startChild(entry: string, env: Record<string, string>, readyText: string, cwd = benchRoot): Promise<ChildHandle> {
  const built = entry.endsWith(".js");
  if (built && !existsSync(join(cwd, entry))) {
    throw new Error(`${join(cwd, entry)} is not built: run \`pnpm bench\` (it builds first) or \`pnpm build\``);
  }
  // BENCH_CPU_PROF=<dir>: node itself runs the entry (tsx as a loader for .ts), so --cpu-prof writes a profile per child on exit.
  const profileDir = process.env.BENCH_CPU_PROF;
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const [command, args]: [string, string[]] = built
    ? [process.execPath, [...profile, ...productionNodeFlags, ...(process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), entry]]
    : profileDir
      ? [process.execPath, [...profile, "--import", "tsx", entry]]
      : [tsx, [entry]];
  const child: ChildProcess = spawn(command, args, { cwd, env: { ...process.env, ...(built ? productionEnvironment : {}), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
      if (output.length > 100_000) output = output.slice(-10_000);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => reject(new Error(`${entry} exited early:\n${output}`)));
  });
  const pid = child.pid ?? 0;
  // The tsx launcher runs the entry in a child of its own: measure that process, not the launcher.
  const measured = () => (command === tsx ? (findNodeChild(pid) ?? pid) : pid);
  return {
    pid,
    rssMb: () => readRssMb(measured()),
    cpuSeconds: () => processCpuSeconds(measured()),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function findNodeChild(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

function readRssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
}

/** A process's CPU time so far, user and system, in seconds (from /proc). */
export function processCpuSeconds(pid: number): number {
  // Fields after the command name: utime is the 14th field, stime the 15th (clock ticks, 100 a second).
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The bench's worker, built by `pnpm --filter @conveyor/bench build` (bench/build.ts). */
export const workerEntry = "dist/worker-process.js";
/** The API's folder; its production build is `dist/main.js` in it (`pnpm build`). */
export const apiRoot = fileURLToPath(new URL("../../apps/api", import.meta.url));
