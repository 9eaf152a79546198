import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "@conveyor/api";
import { isFinished } from "@conveyor/jobs";
import { subscriptionStream } from "./subscription-stream";
import type { WireRunEvent } from "./types";

export interface RunEventsOptions {
  /** Stop iterating (the loop throws the signal's reason). */
  signal?: AbortSignal;
  /** Start after this event id (an event's `id`), e.g. to resume in a new process (default: the run's whole history). */
  lastEventId?: string | null;
}

/** How many streams in a row may end with no event before the run is finished, before giving up. */
const maxEmptyStreams = 3;

/**
 * A run's events: its history, then live ones, ending after the event that
 * finishes it. A dropped connection is resumed by tRPC's links (they resend
 * the last event id); on top of that, events are passed on in increasing id
 * order only, so none is ever repeated, and a stream that ends before the run
 * finishes is opened again after the last event received.
 */
export async function* runEvents(
  raw: TRPCClient<AppRouter>,
  id: string,
  { signal, lastEventId = null }: RunEventsOptions = {},
): AsyncGenerator<WireRunEvent, void, undefined> {
  let last = lastEventId;
  let lastKindFinished = false;
  for (let emptyStreams = 0; ; ) {
    const stream = subscriptionStream<{ id: string; data: WireRunEvent }>(
      (observer) => raw.jobs.events.subscribe({ id, lastEventId: last }, observer),
      signal,
    );
    let received = 0;
    for await (const { data: event } of stream) {
      if (last !== null && Number(event.id) <= Number(last)) continue;
      last = event.id;
      lastKindFinished = isFinished(event.status);
      received++;
      yield event;
    }
    // The API ends a run's stream after the event that finishes it.
    if (lastKindFinished) return;
    // Ended early (the API process stopping):
    // open it again after the last event. A stream with nothing in it may mean nothing is left
    // (resumed after the finishing event); the run's status tells.
    emptyStreams = received === 0 ? emptyStreams + 1 : 0;
    if (emptyStreams > 0) {
      const run = await raw.jobs.get.query({ id }, { signal });
      if (isFinished(run.status)) return;
      if (emptyStreams >= maxEmptyStreams) throw new Error(`the event stream of run ${id} keeps ending while the run is ${run.status}`);
    }
  }
}
