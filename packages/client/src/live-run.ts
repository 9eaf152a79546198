import { isFinished, type RunStatus } from "@conveyor/jobs";
import type { WireRunEvent } from "./types";

/** The fields of a run (or run summary) that its events change. */
export interface LiveRunFields {
  status: RunStatus;
  error: string | null;
  progress: { percent: number; message: string | null; data?: unknown };
}

/**
 * A run with one of its events applied: status, error and progress as the
 * API stores them after that event (a completed run is at 100%). Fields the
 * events do not carry (output, attempts, dates) need a fresh read; see
 * `needsRefresh`. Log lines change nothing.
 */
export function applyRunEvent<R extends LiveRunFields>(run: R, event: WireRunEvent): R {
  if (event.kind === "log") return run;
  const progress =
    event.kind === "progress" && event.progress
      ? { percent: event.progress.percent, message: event.progress.message, data: event.progress.data ?? null }
      : event.kind === "completed"
        ? { ...run.progress, percent: 100 }
        : run.progress;
  return { ...run, status: event.status, error: event.error ?? run.error, progress };
}

/**
 * Whether an event is older than what a run read from the API already shows
 * (it started or finished after the event): a run's stream replays its
 * history, which must not wind a freshly read run back.
 */
export function predates(run: { startedAt: string | null; finishedAt: string | null }, event: WireRunEvent): boolean {
  const at = Date.parse(event.at);
  return [run.startedAt, run.finishedAt].some((time) => time !== null && at < Date.parse(time));
}

/**
 * Whether a run should be read again after this event: when it finishes, for
 * the output, attempts and dates the events do not carry. (Not while it runs:
 * a read answered after newer progress events would wind the run back.)
 */
export function needsRefresh(event: WireRunEvent): boolean {
  return isFinished(event.status);
}
