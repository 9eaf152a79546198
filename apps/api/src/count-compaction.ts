import { compactRunCounts, type SqlClient } from "@conveyor/db";
import type { Log } from "./logger";

/** How soon after a submission its count change is folded in. */
const defaultDelayMs = 500;

/**
 * Folds the run-count changes this API's submissions appended (one row per
 * statement, by the triggers of migration 0012) into `run_counts` shortly
 * after they were written. Every submit statement reads the owner's
 * unfinished runs as `run_counts` plus the changes not yet folded, so those
 * must stay few: left to the workers' heartbeat (every 5 s, and never when
 * no worker runs) they grew by a row per statement, and the read of them
 * became most of PostgreSQL's CPU per submit (BENCHMARKS.md, "submit"). Quiet APIs
 * schedule nothing.
 */
export class CountCompaction {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly log: Log,
    private readonly delayMs = defaultDelayMs,
  ) {}

  /** Submissions were written: fold their changes in soon (once for everything written meanwhile). */
  written(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = compactRunCounts(this.sql)
        .catch((error: unknown) => this.log({ level: "warn", message: "run count compaction failed", error: String(error) }))
        .finally(() => {
          this.timer = null;
          this.running = null;
        });
    }, this.delayMs);
    this.timer.unref();
  }

  /** No more compactions; waits for one that is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer && !this.running) clearTimeout(this.timer);
    await this.running;
  }
}
