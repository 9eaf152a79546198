import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const benchRoot = fileURLToPath(new URL("..", import.meta.url));

export interface ClientProcess {
  /** Resolves when the process prints a line equal to `line`. */
  lineSeen(line: string, timeoutMs: number): Promise<void>;
  /** Write a line to its stdin. */
  send(line: string): void;
  /** Resolves with the last line it printed before exiting. */
  lastLine(): Promise<string>;
  kill(): void;
}

/**
 * A bench client (not a server under test) in its own process, talking
 * back by lines on stdout. It runs TypeScript through tsx: its own CPU cost
 * is not what the bench measures, only that it is not the API's.
 */
export function startClientProcess(entry: string, env: Record<string, string>): ClientProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd: benchRoot, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters = new Set<{ line: string; resolve(): void }>();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    if (lines.length > 10) lines.shift();
    for (const waiter of waiters) if (waiter.line === line) waiter.resolve();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    lineSeen: (line, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${entry} did not print "${line}" within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
        const waiter = { line, resolve: () => (clearTimeout(timer), waiters.delete(waiter), resolve()) };
        waiters.add(waiter);
        if (lines.includes(line)) waiter.resolve();
        void exited.then((code) => reject(new Error(`${entry} exited (${code}) before printing "${line}":\n${stderr}`)));
      }),
    send: (line) => void child.stdin.write(`${line}\n`),
    lastLine: async () => {
      const code = await exited;
      const last = lines.at(-1);
      if (code !== 0 || last === undefined) throw new Error(`${entry} exited with ${code}:\n${stderr}`);
      return last;
    },
    kill: () => void child.kill("SIGTERM"),
  };
}
