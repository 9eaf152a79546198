import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { LiveRunsSync } from "./runs/live-runs-sync";
import { trpc } from "./trpc";

/**
 * Input matching every cached page of `jobs.list`: pass it to
 * `utils.jobs.list.invalidate` to reload them all (after a submit, say).
 */
export const runsListInput = {};

/**
 * The app's one subscription: every event of every run the user may see
 * patches the cached pages of `jobs.list` and the cached `jobs.get` of its
 * run (see LiveRunsSync), so every bar on screen moves without polling and
 * without a subscription per row.
 */
export function useLiveRuns(): void {
  const utils = trpc.useUtils();
  const queryClient = useQueryClient();
  const [sync] = useState(() => new LiveRunsSync(utils, queryClient));
  useEffect(() => sync.start(), [sync]);
  trpc.jobs.events.useSubscription(undefined, {
    onData: ({ data: event }) => sync.receive(event),
  });
}
