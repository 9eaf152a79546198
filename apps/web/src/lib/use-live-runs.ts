import type { RunStatus } from "@conveyor/jobs";
import { trpc } from "./trpc";

/** The one page of runs the app shows; the live updates patch this cache entry. */
export const runsListInput = { limit: 20 } as const;

/**
 * One subscription for every run the user may see (no run id): each event
 * patches the cached list and run in place, so bars move without polling.
 * A run the list does not hold yet reloads the list; a finished run reloads
 * its detail so the result appears.
 */
export function useLiveRuns(): void {
  const utils = trpc.useUtils();
  trpc.jobs.events.useSubscription(undefined, {
    onData: ({ data: event }) => {
      let known = false;
      utils.jobs.list.setData(runsListInput, (page) => {
        if (!page) return page;
        return {
          ...page,
          items: page.items.map((run) => {
            if (run.id !== event.runId) return run;
            known = true;
            return applyEvent(run, event);
          }),
        };
      });
      utils.jobs.get.setData({ id: event.runId }, (run) => (run ? applyEvent(run, event) : run));
      if (!known) void utils.jobs.list.invalidate(runsListInput);
      if (event.kind === "completed" || event.kind === "failed" || event.kind === "cancelled") {
        void utils.jobs.get.invalidate({ id: event.runId });
      }
    },
  });
}

interface LiveFields {
  status: RunStatus;
  error: string | null;
  progress: { percent: number; message: string | null };
}

interface LiveEvent {
  status: RunStatus;
  error?: string;
  progress?: { percent: number; message: string | null };
}

/** A cached run (of whichever job type) with an event's status, error and progress applied. */
function applyEvent<R extends LiveFields>(run: R, event: LiveEvent): R {
  // A completed run is at 100% even when its handler's last report said less.
  const progress = event.status === "completed" ? { percent: 100, message: run.progress.message } : event.progress;
  return {
    ...run,
    status: event.status,
    error: event.error ?? run.error,
    progress: progress ? { ...run.progress, percent: progress.percent, message: progress.message } : run.progress,
  };
}
