import { useEffect, useMemo, useRef } from "react";
import type { RunEventMessage } from "@conveyor/api";

/** What the filters read of an event. */
export type RunEventInfo = Pick<RunEventMessage, "runId" | "type" | "kind" | "status">;
import { trpc } from "../trpc";
import { throttle } from "./throttle";

/**
 * Keep figures that derive from many runs (queue counts, schedules' last
 * runs) live without polling: a subscription to every run's events calls
 * `refresh` when events arrive, at most once per `intervalMs` while they
 * flow (a burst of thousands of events costs one reload per interval).
 * `matches` picks the events that concern the page.
 */
export function useRefreshOnRunEvents(refresh: () => void, options: { intervalMs?: number; matches?: (event: RunEventInfo) => boolean } = {}): void {
  const { intervalMs = 2000, matches } = options;
  // The latest callbacks, read when an event arrives, so the subscription and its throttle are made once.
  const latest = useRef({ refresh, matches });
  useEffect(() => {
    latest.current = { refresh, matches };
  });
  const throttled = useMemo(() => throttle(() => latest.current.refresh(), intervalMs), [intervalMs]);
  useEffect(() => () => throttled.cancel(), [throttled]);
  trpc.jobs.events.useSubscription(undefined, {
    onData: ({ data: event }) => {
      if (!latest.current.matches || latest.current.matches(event)) throttled();
    },
  });
}
