import type { StartedRun } from "@conveyor/db";

type Level = "info" | "warn" | "error";

export interface RunLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Structured logs, one JSON object per line, each tagged with the run it is
 * about. Payloads are never logged: inputs may hold secrets.
 */
export class RunLogger {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly quiet = false,
  ) {}

  line(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (this.quiet && level === "info") return;
    this.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  }

  forRun(run: Pick<StartedRun, "id" | "type" | "attempts">): RunLog {
    const tags = { runId: run.id, type: run.type, attempt: run.attempts };
    return {
      info: (message, fields) => this.line("info", message, { ...fields, ...tags }),
      warn: (message, fields) => this.line("warn", message, { ...fields, ...tags }),
    };
  }
}
