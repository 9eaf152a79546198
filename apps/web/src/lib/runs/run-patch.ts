import type { RunEvent, RunEventKind, RunStatus } from "./run-types";

/**
 * What the event stream has told about one run, folded from its events in
 * order: only the fields events carry. Applying it to a cached run gives the
 * run as it is now, whatever older copy the cache held.
 */
export interface RunPatch {
  status: RunStatus;
  /**
   * The last event was `queued`. Its status says "queued" even for a run
   * submitted to start later, which is "scheduled" until its `runAt`; the
   * run's own `runAt` tells which (see `applyPatch`).
   */
  queuedEvent?: boolean;
  percent?: number;
  message?: string | null;
  error?: string | null;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string | null;
}

/** The fields of a cached run (summary or whole run, of any job type) that events change. */
interface LiveFields {
  status: RunStatus;
  runAt: string;
  error: string | null;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { percent: number; message: string | null };
}

/** Kinds after which the run's status is a new one (progress and log lines keep it running). */
export function changesStatus(kind: RunEventKind): boolean {
  return kind !== "progress" && kind !== "log";
}

/** `patch` with one more event applied (events of one run arrive in order). */
export function foldEvent(patch: RunPatch | undefined, event: RunEvent): RunPatch {
  const next: RunPatch = { ...patch, status: event.status, queuedEvent: event.kind === "queued" };
  switch (event.kind) {
    case "progress":
      if (event.progress) {
        next.percent = event.progress.percent;
        next.message = event.progress.message;
      }
      break;
    case "queued":
      // Queued again by a retry: the API clears the error, the result and the progress.
      next.error = null;
      next.percent = 0;
      next.message = null;
      next.finishedAt = null;
      break;
    case "started":
      if (event.attempt !== undefined) next.attempts = event.attempt;
      next.startedAt = event.at;
      break;
    case "retrying":
      if (event.error !== undefined) next.error = event.error;
      break;
    case "failed":
      if (event.error !== undefined) next.error = event.error;
      next.finishedAt = event.at;
      break;
    case "completed":
      // A completed run is at 100% even when its handler's last report said less.
      next.percent = 100;
      next.finishedAt = event.at;
      break;
    case "cancelled":
      next.finishedAt = event.at;
      break;
    case "log":
      break;
  }
  return next;
}

/** The run with the patch applied, or the same object when nothing changes (so nothing re-renders). */
export function applyPatch<R extends LiveFields>(run: R, patch: RunPatch): R {
  const status = patch.queuedEvent && new Date(run.runAt).getTime() > Date.now() ? "scheduled" : patch.status;
  const percent = patch.percent ?? run.progress.percent;
  const message = patch.message !== undefined ? patch.message : run.progress.message;
  const error = patch.error !== undefined ? patch.error : run.error;
  const attempts = Math.max(run.attempts, patch.attempts ?? 0);
  const startedAt = patch.startedAt ?? run.startedAt;
  const finishedAt = patch.finishedAt !== undefined ? patch.finishedAt : run.finishedAt;
  const unchanged =
    run.status === status &&
    run.progress.percent === percent &&
    run.progress.message === message &&
    run.error === error &&
    run.attempts === attempts &&
    run.startedAt === startedAt &&
    run.finishedAt === finishedAt;
  if (unchanged) return run;
  return { ...run, status, error, attempts, startedAt, finishedAt, progress: { ...run.progress, percent, message } };
}
