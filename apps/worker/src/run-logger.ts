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
    this.write(serialise(level, message, fields));
  }

  /**
   * A log for one run: every line carries the run id, type, attempt and owner,
   * and passes through `scrub` (which removes the run's secret values).
   */
  forRun(run: Pick<StartedRun, "id" | "type" | "attempts" | "ownerId">, scrub: (text: string) => string = (text) => text): RunLog {
    const tags = { runId: run.id, type: run.type, attempt: run.attempts, owner: run.ownerId };
    const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
      if (this.quiet && level === "info") return;
      // Scrubbing the serialised line reaches every field, however deeply a secret sits in it.
      this.write(scrub(serialise(level, message, { ...fields, ...tags })));
    };
    return { info: (message, fields) => write("info", message, fields), warn: (message, fields) => write("warn", message, fields) };
  }
}

function serialise(level: Level, message: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
}
