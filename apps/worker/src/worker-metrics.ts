import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type pg from "pg";
import type { AttemptOutcome } from "./execute-run";

/**
 * What a worker process counts, in a registry of its own (several workers
 * may share one process in tests): attempts started and how they ended per
 * job type, their durations, progress reports, what runs now, and the pool.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly started = new Counter({
    name: "conveyor_worker_attempts_started_total",
    help: "Attempts this worker started, by job type",
    labelNames: ["type"],
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: "conveyor_worker_attempts_finished_total",
    help: "Attempts this worker finished, by job type and outcome (completed, retrying, failed, discarded)",
    labelNames: ["type", "outcome"],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "conveyor_worker_attempt_duration_seconds",
    help: "How long attempts ran, by job type and outcome",
    labelNames: ["type", "outcome"],
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
    registers: [this.registry],
  });
  private readonly progress = new Counter({
    name: "conveyor_worker_progress_reports_total",
    help: "Progress reports handlers made, by job type (writes are coalesced per run)",
    labelNames: ["type"],
    registers: [this.registry],
  });

  constructor(pool: pg.Pool, running: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "conveyor_worker_running_attempts",
      help: "Attempts executing in this process now",
      registers: [this.registry],
      collect() {
        this.set(running());
      },
    });
    new Gauge({
      name: "conveyor_worker_db_pool_connections",
      help: "graphile-worker's connection pool: open, idle and waiting clients",
      labelNames: ["state"],
      registers: [this.registry],
      collect() {
        this.set({ state: "open" }, pool.totalCount);
        this.set({ state: "idle" }, pool.idleCount);
        this.set({ state: "waiting" }, pool.waitingCount);
      },
    });
  }

  /** Count an attempt's start; call the returned function with how it ended. */
  attemptStarted(type: string): (outcome: AttemptOutcome) => void {
    this.started.inc({ type });
    const stopTimer = this.duration.startTimer({ type });
    return (outcome) => {
      stopTimer({ outcome });
      this.finished.inc({ type, outcome });
    };
  }

  progressReported(type: string): void {
    this.progress.inc({ type });
  }
}
