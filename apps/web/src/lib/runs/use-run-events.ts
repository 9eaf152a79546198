import { useEffect, useRef, useState } from "react";
import { trpc } from "../trpc";
import { createFrameBatch } from "./frame-batch";
import type { RunEvent } from "./run-types";

export interface RunEvents {
  /** The run's events so far, oldest first. */
  events: RunEvent[];
  /** The stream is open (it ends once the run has finished). */
  live: boolean;
  error: string | null;
}

/**
 * One run's whole history, then its live events, from `jobs.events({ id })`.
 * The API ends the stream once the run finishes; when the run is unfinished
 * again (retried, here or anywhere else), the stream opens again after the
 * last event held. Events arriving together are added once per frame.
 */
export function useRunEvents(runId: string, runFinished: boolean): RunEvents {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [ended, setEnded] = useState(false);
  // `lastEventId` of the current stream: none for the first (the whole history), then the last event held.
  const [resumeAfter, setResumeAfter] = useState<string | null>(null);
  const held = useRef(new Set<string>());
  const lastHeld = useRef<string | null>(null);
  const [batch] = useState(() => createFrameBatch<RunEvent>((arrived) => setEvents((current) => [...current, ...arrived])));
  useEffect(() => () => batch.dispose(), [batch]);

  const subscription = trpc.jobs.events.useSubscription(
    { id: runId, ...(resumeAfter ? { lastEventId: resumeAfter } : {}) },
    {
      onData: ({ data: event }) => {
        // A reconnect resumes after the last event the client saw; this guards against any overlap.
        if (held.current.has(event.id)) return;
        held.current.add(event.id);
        lastHeld.current = event.id;
        batch.push(event);
      },
      onComplete: () => setEnded(true),
    },
  );

  useEffect(() => {
    if (!ended || runFinished || lastHeld.current === resumeAfter) return;
    setEnded(false);
    setResumeAfter(lastHeld.current);
  }, [ended, runFinished, resumeAfter]);

  return { events, live: !ended && subscription.status !== "error", error: subscription.error?.message ?? null };
}
