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
  forRun(run: RunIdentity, scrub: (text: string) => string = unchanged): RunLog {
    return new RunLines(this.logger, run, scrub);
  }
}

const unchanged = (text: string) => text;

type RunIdentity = Pick<StartedRun, "id" | "type" | "attempts" | "ownerId">;

/** The lines of one run: one object per attempt (runs are many), its child logger made on the first line written. */
class RunLines implements RunLog {
  private child: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly run: RunIdentity,
    private readonly scrub: (text: string) => string,
  ) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.write("info", message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write("warn", message, fields);
  }

  private write(level: "info" | "warn", message: string, fields: Record<string, unknown> | undefined): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const { run } = this;
    this.child ??= this.logger.child({ runId: run.id, type: run.type, attempt: run.attempts, owner: run.ownerId });
    this.child[level](fields ? scrubFields(fields, this.scrub) : {}, this.scrub(message));
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
