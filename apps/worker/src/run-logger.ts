import type { StartedRun } from "@conveyor/db";
import { createLogger, lineDestination, type Logger } from "@conveyor/observability";

type Level = "info" | "warn" | "error";

export interface RunLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Structured logs (pino), one JSON object per line; every line about a run
 * carries its run id, type, attempt and owner. Payloads are never logged:
 * inputs may hold secrets.
 */
export class RunLogger {
  private readonly logger: Logger;

  constructor(write?: (line: string) => void, quiet = false) {
    this.logger = createLogger({ service: "worker", quiet, destination: write ? lineDestination(write) : undefined });
  }

  line(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    this.logger[level](fields, message);
  }

  /**
   * A log for one run, whose lines pass through `scrub` (which removes the
   * run's secret values from the message and from every field).
   */
  forRun(run: Pick<StartedRun, "id" | "type" | "attempts" | "ownerId">, scrub: (text: string) => string = (text) => text): RunLog {
    // Made on the first line actually written: runs are many, and a quiet worker writes none of theirs.
    let child: Logger | undefined;
    const write = (level: "info" | "warn", message: string, fields?: Record<string, unknown>) => {
      if (!this.logger.isLevelEnabled(level)) return;
      child ??= this.logger.child({ runId: run.id, type: run.type, attempt: run.attempts, owner: run.ownerId });
      child[level](fields ? scrubFields(fields, scrub) : {}, scrub(message));
    };
    return { info: (message, fields) => write("info", message, fields), warn: (message, fields) => write("warn", message, fields) };
  }
}

/** Fields as JSON, with `scrub` applied to the serialised form (it reaches every value, however deep). */
export function scrubFields(fields: Record<string, unknown>, scrub: (text: string) => string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(scrub(JSON.stringify(fields)));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
  } catch {
    return {};
  }
}
