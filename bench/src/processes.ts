import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

/** Run a TypeScript entry with tsx and wait until it prints `readyText`. */
export async function startChild(entry: string, env: Record<string, string>, readyText: string, cwd = benchRoot): Promise<ChildHandle> {
  // BENCH_CPU_PROF=<dir>: run node itself (tsx as a loader) so --cpu-prof writes a profile per child on exit.
  const profileDir = process.env.BENCH_CPU_PROF;
  const [command, args] = profileDir
    ? [process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--import", "tsx", entry]]
    : [tsx, [entry]];
  const child: ChildProcess = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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
  // tsx runs the entry in a child of its own: measure that process, not the launcher.
  const measured = () => (profileDir ? pid : (findNodeChild(pid) ?? pid));
  return {
    pid,
    rssMb: () => readRssMb(measured()),
    cpuSeconds: () => readCpuSeconds(measured()),
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

function readCpuSeconds(pid: number): number {
  // Fields after the command name: utime is the 14th field, stime the 15th (clock ticks, 100 a second).
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const workerEntry = "src/worker-process.ts";
export const apiRoot = fileURLToPath(new URL("../../apps/api", import.meta.url));
